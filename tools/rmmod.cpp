// SPDX-License-Identifier: LGPL-2.1-or-later
// rmmod front end: kmod's option table (30's or 34.2's help text, as built),
// then kmodx::rmmod::run.
#include "option_loop.hpp"
#include "tools.hpp"

#include <kmodx/kernel.hpp>
#include <kmodx/kmod_compat.hpp>
#include <kmodx/rmmod.hpp>

namespace kmodx::tools {
namespace {

constexpr char kShort[] = "fsvVh";
constexpr option kLong[] = {
    kForceOption, kSyslogOption, kVerboseOption, kVersionOption, kHelpOption, kOptionsEnd,
};

constexpr char kUsage30[] =
    "Usage:\n"
    "\t%s [options] modulename ...\n"
    "Options:\n"
    "\t-f, --force       forces a module unload and may crash your\n"
    "\t                  machine. This requires Forced Module Removal\n"
    "\t                  option in your kernel. DANGEROUS\n" KMODX_HELP_SYSLOG_VERBOSE KMODX_HELP_VERSION_HELP;

// kmod 34.2's (commits 38641ee, 9d2cb67); its -V also lists the features.
constexpr char kUsage34[] =
    "Usage:\n"
    "\t%s [options] [list of modulenames]\n"
    "Options:\n"
    "\t-f, --force       DANGEROUS: forces a module unload and may\n"
    "\t                  crash your machine\n" KMODX_HELP_SYSLOG_VERBOSE KMODX_HELP_VERSION_HELP;

constexpr OptionTable kOptions{kShort, kLong, kmod34 ? kUsage34 : kUsage30, kmod34};

}  // namespace

int rmmod_main(int argc, char** argv) {
    rmmod::Options opts;
    auto done = parse_options(argc, argv, kOptions, [&](int c) {
        switch (c) {
            case 'f': opts.force = true; return true;
            case 's': opts.syslog = true; return true;
            case 'v': ++opts.verbose; return true;
        }
        return false;
    });
    if (done) return *done;
    for (int i = optind; i < argc; ++i) opts.targets.emplace_back(argv[i]);
    return rmmod::run(system_kernel(), opts);
}

}  // namespace kmodx::tools
