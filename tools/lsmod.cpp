#include "tools.hpp"

#include <cstdio>

namespace kmodx::tools {

int lsmod_main(int, char**) {
    std::fprintf(stderr, "lsmod: not implemented yet\n");
    return 1;
}

}  // namespace kmodx::tools
