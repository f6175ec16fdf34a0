// SPDX-License-Identifier: LGPL-2.1-or-later
// rmmod: unload modules by name or path as kmod 30's rmmod does, the kernel
// reached only through kmodx::Kernel.
#pragma once

#include <kmodx/kernel.hpp>
#include <kmodx/messages.hpp>

#include <functional>
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
    enum class Kind {
        Removable,
        Builtin,
        NotLoaded,
        HeldBy,              // holders non-empty
        InUse,               // refcount > 0
        UnloadUnsupported,   // no refcnt file: a kernel without module unloading
        RefcountUnreadable,  // refused without a word, as kmod does
    };
    Kind kind = Kind::Removable;
    std::vector<std::string> holders;  // with HeldBy
};

// The holders of a module in the order they are to be printed.
using HoldersFn = std::function<std::vector<std::string>(std::string_view name)>;

// kmod 30's order: builtin, not loaded (a COMING module counts as loaded),
// holders, then the refcount. Holders come from `holders` when given (kmod
// prints them in directory order, which the production caller reads through
// libkmod), else from the kernel seam; unreadable holders count as none.
Verdict check_removable(Kernel& kernel, std::string_view name, bool builtin, const HoldersFn& holders = {});

// The diagnostic for a refusal, newline included; empty when kmod says nothing.
std::string refusal_text(const Verdict& v, std::string_view name);

// delete_module(2) flags: never wait for the refcount to drop; -f adds O_TRUNC.
unsigned delete_flags(bool force);

// Removes every target; diagnostics through kmodx::log. Exit status.
int run(Kernel& kernel, const Options& opts);

}  // namespace kmodx::rmmod
