// SPDX-License-Identifier: LGPL-2.1-or-later
// insmod: insert one module file, no configuration, no dependencies, as
// kmod 30's insmod does (but compressed files of every format kmodx knows).
#pragma once

#include <kmodx/kernel.hpp>

#include <string>
#include <vector>

namespace kmodx::insmod {

struct Options {
    bool force = false;  // -f: ignore vermagic and symbol versions
    int verbose = 0;     // -v (kmod 34)
    std::string path;
    std::vector<std::string> args;  // module parameters
};

// Arguments joined with single spaces, as the kernel receives them; built
// against kmod 34, `key=value` whose value holds a space and does not start
// with a quote becomes `key="value"`, as kmod 34.2's insmod does.
std::string join_params(const std::vector<std::string>& args);

// Inserts the module; diagnostics through kmodx::log. Exit status.
int run(Kernel& kernel, const Options& opts);

}  // namespace kmodx::insmod
