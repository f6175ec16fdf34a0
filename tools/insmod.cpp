#include "tools.hpp"

#include <cstdio>

namespace kmodx::tools {

int insmod_main(int, char**) {
    std::fprintf(stderr, "insmod: not implemented yet\n");
    return 1;
}

}  // namespace kmodx::tools
