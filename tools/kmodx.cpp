// SPDX-License-Identifier: LGPL-2.1-or-later
// Multi-call binary: acts as the command it is installed as (modprobe,
// insmod, rmmod, lsmod, modinfo), or as `kmodx COMMAND ARGS...`.
#include "tools.hpp"

#include "kmodx_config.h"

#include <kmodx/config.hpp>
#include <kmodx/stats.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

struct Command {
    std::string_view name;
    int (*main)(int, char**);
};

constexpr Command kCommands[] = {
    {"modprobe", kmodx::tools::modprobe_main}, {"insmod", kmodx::tools::insmod_main},
    {"rmmod", kmodx::tools::rmmod_main},       {"lsmod", kmodx::tools::lsmod_main},
    {"modinfo", kmodx::tools::modinfo_main},
};

const Command* find(std::string_view name) {
    for (const auto& c : kCommands)
        if (c.name == name) return &c;
    return nullptr;
}

void usage(FILE* out) {
    std::fprintf(out,
                 "kmodx - manage Linux kernel modules, one load per module\n"
                 "Usage:\n"
                 "\tkmodx COMMAND [ARGS...]\n"
                 "\tkmodx config\n"
                 "\tkmodx udev [status | on | off]\n"
                 "\tkmodx --version | --help\n"
                 "Commands (also available by installing kmodx under these names):\n"
                 "\tmodprobe  insmod  rmmod  lsmod  modinfo\n"
                 "kmodx's own:\n"
                 "\tconfig                 the settings in effect (kmodx.conf(5)), each with where it came from\n"
                 "\tudev [status|on|off]   whether udev's device loads run kmodx, and the switch\n"
                 "\tmodprobe --stats[=text|json|prometheus|html|svg] [--boot=N]\n"
                 "\t                       this boot's (or an earlier boot's) module loads, duplicates, failures\n"
                 "\tmodprobe --stats --explain [--boot=N]\n"
                 "\t                       what those numbers mean, and what would change them\n"
                 "\tmodprobe --stats[=json] --compare[=N]\n"
                 "\t                       this boot against an earlier one: modules, slower loads, failures\n"
                 "\tmodprobe --stats-archive | --stats-reset\n"
                 "\tmodprobe --no-dedup    load without the per-module locks, as kmod does\n"
                 "See kmodx(8), modprobe(8) and kmodx.conf(5).\n");
}

// `kmodx config`: every setting as a kmodx.conf line, then where its value
// came from, so the output is itself a valid kmodx.conf.
int show_config() {
    const auto getenv = [](const char* n) { return static_cast<const char*>(std::getenv(n)); };
    const auto warn = [](const std::string& m) { std::fprintf(stderr, "kmodx: WARNING: %s\n", m.c_str()); };
    const char* over = std::getenv("KMODX_CONFIG");
    std::printf("# kmodx settings in effect (kmodx.conf(5)): defaults, %s, %s/*.conf, then KMODX_* variables\n",
                over && *over ? over : kmodx::kConfigPath, kmodx::kConfigDropinDir);
    for (const auto& s : kmodx::explain_config(kmodx::kConfigPath, kmodx::kConfigDropinDir, getenv, warn))
        std::printf("%s = %s  # %s\n", s.key.c_str(), s.value.c_str(), s.origin.c_str());
    return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    kmodx::stats::remember_invocation(argc, argv);
    std::string_view self = program_invocation_short_name;
    if (const Command* c = find(self)) return c->main(argc, argv);

    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    std::string_view sub = argv[1];
    if (sub == "--version" || sub == "-V") {
        std::printf("kmodx version %s\n", KMODX_VERSION);
        return 0;
    }
    if (sub == "--help" || sub == "-h" || sub == "help") {
        usage(stdout);
        return 0;
    }
    if (sub == "config") {
        if (argc > 2) {
            std::fprintf(stderr, "kmodx: config takes no arguments\n");
            return 1;
        }
        return show_config();
    }
    if (sub == "udev") return kmodx::tools::udev_main(argc - 1, argv + 1);
    if (const Command* c = find(sub)) {
        // Messages then read "modprobe: ..." exactly as when installed under that name.
        program_invocation_short_name = argv[1];
        return c->main(argc - 1, argv + 1);
    }
    std::fprintf(stderr, "kmodx: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 1;
}
