// lsmod as in kmod 30: no options at all (any argument prints the usage line
// with argv[0], exit 1); -V/--version alone is accepted as a kmodx extension.
#include "tools.hpp"

#include "kmodx_config.h"

#include <kmodx/kmod_handles.hpp>
#include <kmodx/lsmod.hpp>
#include <kmodx/tool_version.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kmodx::tools {

int lsmod_main(int argc, char** argv) {
    if (argc == 2 && (std::strcmp(argv[1], "-V") == 0 || std::strcmp(argv[1], "--version") == 0)) {
        print_tool_version(KMODX_VERSION, false);
        return EXIT_SUCCESS;
    }
    if (argc != 1) {
        std::fprintf(stderr, "Usage: %s\n", argv[0]);
        return EXIT_FAILURE;
    }

    const char* no_config = nullptr;
    // libkmod keeps its own default logger here, as kmod's lsmod does: its
    // "could not open /proc/modules" line is part of the expected output.
    CtxPtr ctx(kmod_new(nullptr, &no_config));
    if (!ctx) {
        std::fputs("Error: kmod_new() failed!\n", stderr);
        return EXIT_FAILURE;
    }
    auto rows = lsmod::loaded_modules(ctx.get());
    if (!rows) {
        std::fprintf(stderr, "Error: %s\n", rows.error().message().c_str());
        return EXIT_FAILURE;
    }
    lsmod::print_table(stdout, *rows);
    return EXIT_SUCCESS;
}

}  // namespace kmodx::tools
