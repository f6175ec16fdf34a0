// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe's command line as kmod 30 reads it: MODPROBE_OPTIONS split and
// put in front of argv, getopt_long with kmod's exact option table (so
// getopt's own error lines match), then the checks kmod makes before it
// builds a libkmod context. Pure apart from getopt's stderr lines, so unit
// tests can drive it.
#pragma once

#include <kmodx/modprobe.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::modprobe {

struct ParseOutcome {
    // False: stop with `status` (after printing `output` to stdout and
    // `error` through the ERROR log, each when not empty).
    bool run = false;
    int status = 0;
    std::string output;    // -h text
    bool version = false;  // -V: print kmodx's version (tool_version.hpp)
    std::string error;     // "missing parameters. See -h.\n" and the like
    // kmod prints this error before it opens its log: always on stderr.
    bool error_before_log = false;
    Options opts;
    // New value for MODPROBE_OPTIONS when -C/-q/-v/-s were given: kmod hands
    // them on to install commands this way.
    std::optional<std::string> modprobe_options_env;
};

// kmod's splitting of MODPROBE_OPTIONS: every single space separates (two
// spaces give an empty argument), a quote opening an argument protects its
// spaces and is dropped, a quoted part inside an argument loses its quotes, an
// unterminated quote stays as it is.
std::vector<std::string> split_modprobe_options(std::string_view env);

// Module parameters from the words after the module name: joined with single
// spaces; `key=value` whose value holds a space and does not start with a
// quote becomes `key="value"`.
std::string join_module_params(std::span<const std::string> words);

// argv[0] is kept for getopt's messages. env_options is MODPROBE_OPTIONS
// (nullptr when unset).
ParseOutcome parse_options(int argc, char** argv, const char* env_options);

// The usage text of -h for program name `prog`.
std::string usage_text(std::string_view prog);

}  // namespace kmodx::modprobe
