// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/module_name.hpp>

#include <algorithm>

namespace kmodx {

std::string canonical_module_name(std::string name) {
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

std::optional<std::string> normalized_alias(std::string_view alias) {
    // libkmod normalises into a PATH_MAX buffer (and a bracket may run past
    // it there): leave such names to libkmod.
    if (alias.size() >= 4095) return std::nullopt;
    std::string out;
    out.reserve(alias.size());
    for (std::size_t i = 0; i < alias.size(); ++i) {
        const char c = alias[i];
        if (c == '\0') break;
        if (c == ']') return std::nullopt;
        if (c == '[') {
            const auto close = alias.find(']', i);
            if (close == std::string_view::npos || alias.substr(i, close - i).find('\0') != std::string_view::npos)
                return std::nullopt;
            out.append(alias.substr(i, close + 1 - i));
            i = close;
            continue;
        }
        out.push_back(c == '-' ? '_' : c);
    }
    return out;
}

std::string module_name_of_file(std::string_view path) {
    const auto slash = path.rfind('/');
    if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
    return canonical_module_name(std::string(path.substr(0, path.find('.'))));
}

}  // namespace kmodx
