// SPDX-License-Identifier: LGPL-2.1-or-later
// The option loop kmod 30's insmod, rmmod and modinfo share: getopt_long over
// argv from the start, -h prints the usage, -V the version, and an option
// getopt rejects (it has already said why) ends the run with failure.
#pragma once

#include "kmodx_config.h"

#include <kmodx/tool_version.hpp>

#include <getopt.h>

#include <cerrno>  // program_invocation_short_name (GNU)
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace kmodx::tools {

// The long options parse_options answers itself, and the table's end.
constexpr option kVersionOption{"version", no_argument, nullptr, 'V'};
constexpr option kHelpOption{"help", no_argument, nullptr, 'h'};
constexpr option kOptionsEnd{nullptr, 0, nullptr, 0};
// Long options several of kmod's tools share.
constexpr option kForceOption{"force", no_argument, nullptr, 'f'};
constexpr option kSyslogOption{"syslog", no_argument, nullptr, 's'};
constexpr option kVerboseOption{"verbose", no_argument, nullptr, 'v'};

// Help lines kmod's insmod, rmmod and lsmod spell alike.
#define KMODX_HELP_SYSLOG_VERBOSE                       \
    "\t-s, --syslog      print to syslog, not stderr\n" \
    "\t-v, --verbose     enables more messages\n"
#define KMODX_HELP_VERSION_HELP          \
    "\t-V, --version     show version\n" \
    "\t-h, --help        show this help\n"

struct OptionTable {
    const char* short_options;
    const option* long_options;
    const char* usage;      // printf format; its one %s is the program name
    bool version_features;  // whether -V lists the compiled-in features
};

// on_option(c) handles every other option and returns false for one it does
// not know. Returns the exit status when the run is over already (-h, -V, a
// bad option); nothing when the tool goes on with argv[optind...].
template <class OnOption>
std::optional<int> parse_options(int argc, char** argv, const OptionTable& table, OnOption on_option) {
    optind = 0;  // glibc: full re-initialisation, so repeated calls parse afresh
    for (;;) {
        const int c = getopt_long(argc, argv, table.short_options, table.long_options, nullptr);
        if (c == -1) return std::nullopt;
        if (c == 'h') {
            std::printf(table.usage, program_invocation_short_name);
            return EXIT_SUCCESS;
        }
        if (c == 'V') {
            print_tool_version(KMODX_VERSION, table.version_features);
            return EXIT_SUCCESS;
        }
        if (!on_option(c)) return EXIT_FAILURE;
    }
}

}  // namespace kmodx::tools
