// rmmod front end: kmod 30's option table, then kmodx::rmmod::run.
#include "option_loop.hpp"
#include "tools.hpp"

#include <kmodx/kernel.hpp>
#include <kmodx/rmmod.hpp>

namespace kmodx::tools {
namespace {

constexpr char kShort[] = "fsvVh";
constexpr option kLong[] = {
    {"force", no_argument, nullptr, 'f'},
    {"syslog", no_argument, nullptr, 's'},
    {"verbose", no_argument, nullptr, 'v'},
    kVersionOption, kHelpOption, kOptionsEnd,
};

constexpr char kUsage[] =
    "Usage:\n"
    "\t%s [options] modulename ...\n"
    "Options:\n"
    "\t-f, --force       forces a module unload and may crash your\n"
    "\t                  machine. This requires Forced Module Removal\n"
    "\t                  option in your kernel. DANGEROUS\n"
    "\t-s, --syslog      print to syslog, not stderr\n"
    "\t-v, --verbose     enables more messages\n"
    "\t-V, --version     show version\n"
    "\t-h, --help        show this help\n";

constexpr OptionTable kOptions{kShort, kLong, kUsage, false};

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
