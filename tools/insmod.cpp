// SPDX-License-Identifier: LGPL-2.1-or-later
// insmod front end. Built against kmod 30 (Debian 12): kmod 30's options (-p
// and -s accepted and ignored, -f), plus kmod 34's --force and -v/--verbose,
// which cost nothing. Built against kmod 34 (Debian 13): kmod 34.2's table
// exactly (-p is getopt's invalid option, -s/--syslog sends the messages to
// syslog) and its help text.
#include "option_loop.hpp"
#include "tools.hpp"

#include <kmodx/insmod.hpp>
#include <kmodx/kernel.hpp>
#include <kmodx/kmod_compat.hpp>
#include <kmodx/log.hpp>

#include <cstdlib>

namespace kmodx::tools {
namespace {

constexpr char kShort30[] = "psfvVh";
constexpr option kLong30[] = {
    kForceOption, kVerboseOption, kVersionOption, kHelpOption, kOptionsEnd,
};
constexpr char kUsage30[] =
    "Usage:\n"
    "\t%s [options] filename [args]\n"
    "Options:\n" KMODX_HELP_VERSION_HELP;

// kmod 34.2's tools/insmod.c.
constexpr char kShort34[] = "fsvVh";
constexpr option kLong34[] = {
    kForceOption, kSyslogOption, kVerboseOption, kVersionOption, kHelpOption, kOptionsEnd,
};
constexpr char kUsage34[] =
    "Usage:\n"
    "\t%s [options] filename [module options]\n"
    "Options:\n"
    "\t-f, --force       DANGEROUS: forces a module load, may cause\n"
    "\t                  data corruption and crash your machine\n" KMODX_HELP_SYSLOG_VERBOSE KMODX_HELP_VERSION_HELP;

constexpr OptionTable kOptions =
    kmod34 ? OptionTable{kShort34, kLong34, kUsage34, true} : OptionTable{kShort30, kLong30, kUsage30, true};

}  // namespace

int insmod_main(int argc, char** argv) {
    insmod::Options opts;
    bool use_syslog = false;
    auto done = parse_options(argc, argv, kOptions, [&](int c) {
        switch (c) {
            case 'p': return !kmod34;  // kmod 30 ignores it (module-init-tools); 34 has no 'p'
            case 's':
                use_syslog = kmod34;  // kmod 30 ignores it too
                return true;
            case 'f': opts.force = true; return true;
            case 'v': ++opts.verbose; return true;
        }
        return false;
    });
    if (done) return *done;
    // kmod 34 opens its log before it looks at the arguments; kmod 30 never
    // opens one (stderr).
    if constexpr (kmod34) log::open(use_syslog);
    int status = EXIT_FAILURE;
    if (optind >= argc) {
        KMODX_ERR("missing filename.\n");
    } else {
        opts.path = argv[optind];
        for (int i = optind + 1; i < argc; ++i) opts.args.emplace_back(argv[i]);
        status = insmod::run(system_kernel(), opts);
    }
    if constexpr (kmod34) log::close();
    return status;
}

}  // namespace kmodx::tools
