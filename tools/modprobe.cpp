#include "tools.hpp"

#include <cstdio>

namespace kmodx::tools {

int modprobe_main(int, char**) {
    std::fprintf(stderr, "modprobe: not implemented yet\n");
    return 1;
}

}  // namespace kmodx::tools
