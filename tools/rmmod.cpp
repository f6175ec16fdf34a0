// rmmod front end: kmod 30's option table, then kmodx::rmmod::run.
#include "tools.hpp"

#include "kmodx_config.h"

#include <kmodx/kernel.hpp>
#include <kmodx/rmmod.hpp>
#include <kmodx/tool_version.hpp>

#include <getopt.h>

#include <cstdio>
#include <cstdlib>

namespace kmodx::tools {
namespace {

constexpr char kShort[] = "fsvVh";
constexpr option kLong[] = {
    {"force", no_argument, nullptr, 'f'},
    {"syslog", no_argument, nullptr, 's'},
    {"verbose", no_argument, nullptr, 'v'},
    {"version", no_argument, nullptr, 'V'},
    {"help", no_argument, nullptr, 'h'},
    {nullptr, 0, nullptr, 0},
};

void help() {
    std::printf("Usage:\n"
                "\t%s [options] modulename ...\n"
                "Options:\n"
                "\t-f, --force       forces a module unload and may crash your\n"
                "\t                  machine. This requires Forced Module Removal\n"
                "\t                  option in your kernel. DANGEROUS\n"
                "\t-s, --syslog      print to syslog, not stderr\n"
                "\t-v, --verbose     enables more messages\n"
                "\t-V, --version     show version\n"
                "\t-h, --help        show this help\n",
                program_invocation_short_name);
}

}  // namespace

int rmmod_main(int argc, char** argv) {
    rmmod::Options opts;
    optind = 0;
    for (;;) {
        int c = getopt_long(argc, argv, kShort, kLong, nullptr);
        if (c == -1) break;
        switch (c) {
        case 'f': opts.force = true; break;
        case 's': opts.syslog = true; break;
        case 'v': ++opts.verbose; break;
        case 'h': help(); return EXIT_SUCCESS;
        case 'V': print_tool_version(KMODX_VERSION, false); return EXIT_SUCCESS;
        default: return EXIT_FAILURE;
        }
    }
    for (int i = optind; i < argc; ++i) opts.targets.emplace_back(argv[i]);
    return rmmod::run(system_kernel(), opts);
}

}  // namespace kmodx::tools
