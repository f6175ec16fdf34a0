#include <kmodx/module_name.hpp>

#include <algorithm>

namespace kmodx {

std::string canonical_module_name(std::string name) {
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

std::string module_name_of_file(std::string_view path) {
    const auto slash = path.rfind('/');
    if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
    return canonical_module_name(std::string(path.substr(0, path.find('.'))));
}

}  // namespace kmodx
