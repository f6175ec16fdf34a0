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

// Arguments joined with single spaces, as the kernel receives them.
std::string join_params(const std::vector<std::string>& args);

// Inserts the module; diagnostics through kmodx::log. Exit status.
int run(Kernel& kernel, const Options& opts);

}  // namespace kmodx::insmod
