// SPDX-License-Identifier: LGPL-2.1-or-later
// lsmod. Built against kmod 30 (Debian 12): no options at all (any argument
// prints the usage line with argv[0], exit 1); -V/--version alone is accepted
// as a kmodx extension. Built against kmod 34 (Debian 13): kmod 34.2's
// options (-s/--syslog, -v/--verbose, -V, -h, getopt's messages), an
// argument is "too many arguments provided.", and libkmod's messages go
// through the tools' logger.
#include "option_loop.hpp"
#include "tools.hpp"

#include "kmodx_config.h"

#include <kmodx/kmod_compat.hpp>
#include <kmodx/kmod_handles.hpp>
#include <kmodx/log.hpp>
#include <kmodx/lsmod.hpp>
#include <kmodx/tool_version.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kmodx::tools {
namespace {

// kmod 34.2's tools/lsmod.c.
constexpr char kShort34[] = "svVh";
constexpr option kLong34[] = {
    kSyslogOption, kVerboseOption, kVersionOption, kHelpOption, kOptionsEnd,
};
constexpr char kUsage34[] =
    "Usage:\n"
    "\t%s [options]\n"
    "Options:\n" KMODX_HELP_SYSLOG_VERBOSE KMODX_HELP_VERSION_HELP;
constexpr OptionTable kOptions34{kShort34, kLong34, kUsage34, true};

int lsmod30(int argc, char** argv) {
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

}  // namespace

int lsmod_main(int argc, char** argv) {
    if constexpr (!kmod34) return lsmod30(argc, argv);

    bool use_syslog = false;
    int verbose = LOG_ERR;
    auto done = parse_options(argc, argv, kOptions34, [&](int c) {
        switch (c) {
            case 's': use_syslog = true; return true;
            case 'v': ++verbose; return true;
        }
        return false;
    });
    if (done) return *done;

    log::open(use_syslog);
    int status = EXIT_FAILURE;
    const char* no_config = nullptr;
    CtxPtr ctx;
    if (optind < argc) {
        KMODX_ERR("too many arguments provided.\n");
    } else if (ctx.reset(kmod_new(nullptr, &no_config)); !ctx) {
        KMODX_ERR("kmod_new() failed!\n");
    } else {
        log::set_priority(verbose);
        log::attach(ctx.get());
        auto rows = lsmod::loaded_modules(ctx.get());
        if (!rows) {
            KMODX_ERR("%s\n", rows.error().message().c_str());
        } else {
            lsmod::print_table(stdout, *rows);
            status = EXIT_SUCCESS;
        }
    }
    ctx.reset();
    log::close();
    return status;
}

}  // namespace kmodx::tools
