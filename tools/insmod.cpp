// insmod front end: kmod 30's options (-p and -s accepted and ignored, -f),
// plus kmod 34's --force and -v/--verbose, which cost nothing.
#include "tools.hpp"

#include "kmodx_config.h"

#include <kmodx/insmod.hpp>
#include <kmodx/kernel.hpp>
#include <kmodx/log.hpp>
#include <kmodx/tool_version.hpp>

#include <getopt.h>

#include <cstdio>
#include <cstdlib>

namespace kmodx::tools {
namespace {

constexpr char kShort[] = "psfvVh";
constexpr option kLong[] = {
    {"force", no_argument, nullptr, 'f'},
    {"verbose", no_argument, nullptr, 'v'},
    {"version", no_argument, nullptr, 'V'},
    {"help", no_argument, nullptr, 'h'},
    {nullptr, 0, nullptr, 0},
};

void help() {
    std::printf("Usage:\n"
                "\t%s [options] filename [args]\n"
                "Options:\n"
                "\t-V, --version     show version\n"
                "\t-h, --help        show this help\n",
                program_invocation_short_name);
}

}  // namespace

int insmod_main(int argc, char** argv) {
    insmod::Options opts;
    optind = 0;
    for (;;) {
        int c = getopt_long(argc, argv, kShort, kLong, nullptr);
        if (c == -1) break;
        switch (c) {
        case 'p':
        case 's': break;  // kmod 30 ignores them (compatibility with module-init-tools)
        case 'f': opts.force = true; break;
        case 'v': ++opts.verbose; break;
        case 'h': help(); return EXIT_SUCCESS;
        case 'V': print_tool_version(KMODX_VERSION, true); return EXIT_SUCCESS;
        default: return EXIT_FAILURE;
        }
    }
    if (optind >= argc) {
        KMODX_ERR("missing filename.\n");
        return EXIT_FAILURE;
    }
    opts.path = argv[optind];
    for (int i = optind + 1; i < argc; ++i) opts.args.emplace_back(argv[i]);
    return insmod::run(system_kernel(), opts);
}

}  // namespace kmodx::tools
