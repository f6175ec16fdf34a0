#include "tools.hpp"

#include <cstdio>

namespace kmodx::tools {

int modinfo_main(int, char**) {
    std::fprintf(stderr, "modinfo: not implemented yet\n");
    return 1;
}

}  // namespace kmodx::tools
