#include "tools.hpp"

#include <cstdio>

namespace kmodx::tools {

int rmmod_main(int, char**) {
    std::fprintf(stderr, "rmmod: not implemented yet\n");
    return 1;
}

}  // namespace kmodx::tools
