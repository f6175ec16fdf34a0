// rmmod: unload modules by name or path as kmod 30's rmmod does, the kernel
// reached only through kmodx::Kernel.
#pragma once

#include <kmodx/kernel.hpp>
#include <kmodx/messages.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::rmmod {

struct Options {
    bool force = false;   // -f: skip the in-use checks, O_TRUNC
    bool syslog = false;  // -s
    int verbose = 0;      // each -v raises the log threshold from LOG_ERR
    std::vector<std::string> targets;
};

struct Verdict {
    std::optional<messages::Refusal> refusal;  // empty: go ahead
    std::vector<std::string> holders;          // set with InUse when known
};

// kmod 30's order: builtin, not loaded (a COMING module counts as loaded),
// holders, then a refcount that is non-zero or unreadable.
Verdict check_removable(Kernel& kernel, std::string_view name, bool builtin);

// delete_module(2) flags: never wait for the refcount to drop; -f adds O_TRUNC.
unsigned delete_flags(bool force);

// Removes every target; diagnostics through kmodx::log. Exit status.
int run(Kernel& kernel, const Options& opts);

}  // namespace kmodx::rmmod
