// insmod front end: kmod 30's options (-p and -s accepted and ignored, -f),
// plus kmod 34's --force and -v/--verbose, which cost nothing.
#include "option_loop.hpp"
#include "tools.hpp"

#include <kmodx/insmod.hpp>
#include <kmodx/kernel.hpp>
#include <kmodx/log.hpp>

#include <cstdlib>

namespace kmodx::tools {
namespace {

constexpr char kShort[] = "psfvVh";
constexpr option kLong[] = {
    {"force", no_argument, nullptr, 'f'},
    {"verbose", no_argument, nullptr, 'v'},
    kVersionOption, kHelpOption, kOptionsEnd,
};

constexpr char kUsage[] =
    "Usage:\n"
    "\t%s [options] filename [args]\n"
    "Options:\n"
    "\t-V, --version     show version\n"
    "\t-h, --help        show this help\n";

constexpr OptionTable kOptions{kShort, kLong, kUsage, true};

}  // namespace

int insmod_main(int argc, char** argv) {
    insmod::Options opts;
    auto done = parse_options(argc, argv, kOptions, [&](int c) {
        switch (c) {
        case 'p':
        case 's': return true;  // kmod 30 ignores them (compatibility with module-init-tools)
        case 'f': opts.force = true; return true;
        case 'v': ++opts.verbose; return true;
        }
        return false;
    });
    if (done) return *done;
    if (optind >= argc) {
        KMODX_ERR("missing filename.\n");
        return EXIT_FAILURE;
    }
    opts.path = argv[optind];
    for (int i = optind + 1; i < argc; ++i) opts.args.emplace_back(argv[i]);
    return insmod::run(system_kernel(), opts);
}

}  // namespace kmodx::tools
