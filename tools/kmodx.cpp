// Multi-call binary: acts as the command it is installed as (modprobe,
// insmod, rmmod, lsmod, modinfo), or as `kmodx COMMAND ARGS...`.
#include "tools.hpp"

#include "kmodx_config.h"

#include <kmodx/stats.hpp>

#include <cerrno>
#include <cstdio>
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
                 "\tkmodx --version | --help\n"
                 "Commands (also available by installing kmodx under these names):\n"
                 "\tmodprobe  insmod  rmmod  lsmod  modinfo\n");
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
    if (const Command* c = find(sub)) {
        // Messages then read "modprobe: ..." exactly as when installed under that name.
        program_invocation_short_name = argv[1];
        return c->main(argc - 1, argv + 1);
    }
    std::fprintf(stderr, "kmodx: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 1;
}
