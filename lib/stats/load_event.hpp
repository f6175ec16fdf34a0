// SPDX-License-Identifier: LGPL-2.1-or-later
// The stats Event one module's load attempt becomes: what the loader did
// (LoadReport), what the dedup guard answered instead (GuardReport), and
// the costs the kernel paid or was spared (costs.hpp).
#pragma once

#include <kmodx/dedup.hpp>
#include <kmodx/kernel.hpp>
#include <kmodx/loader.hpp>
#include <kmodx/stats.hpp>

#include <optional>
#include <string>

namespace kmodx::stats {

struct LoadFacts {
    std::string tool;
    std::string module;
    std::string path;                           // the module file
    bool attempted = false;                     // the loader ran in this process
    std::optional<Error> error;                 // its failure, if it failed
    LoadReport report;                          // its facts, on failure too
    int result = 0;                             // 0, -EEXIST or -errno, as the step answered
    const dedup::GuardReport* guard = nullptr;  // null: no guard ran
    bool dedup_disabled = false;                // --no-dedup
};

// Outcome rules:
//   loader not run:  -EEXIST -> Suppressed when the guard says another
//                    process loaded it, else AlreadyLive; another error
//                    -> SuppressedFailure when the guard reused another
//                    process's failure, else FailedRead (no file).
//   loader ran:      inserted -> Loaded (with the ELF footprint and the
//                    module instance the store claims);
//                    EEXIST/EBUSY from the kernel -> DuplicateInKernel;
//                    other kernel errno -> FailedKernel; a failure before any
//                    load syscall -> FailedDecompress or FailedRead.
Event load_event(Kernel& kernel, const LoadFacts& f);

// An event without costs (AlreadyLive on the fast path, Blacklisted, ...).
Event simple_event(std::string tool, std::string module, Outcome outcome, int err = 0);
// NotFound (errno ENOENT) for NAME as it was asked for: an alias or a
// mistyped name is no module, so it is kept as given, not made canonical.
Event not_found_event(std::string tool, std::string name);
// Whether a request for NAME that nothing answers is recorded: yes for names
// and aliases (the kernel's fs-*, net-pf-*, a mistyped name), no for a
// device's modalias ("bus:..."): udev asks for every device, and a device
// without a driver module is the common case, not a failed request.
bool records_not_found(std::string_view name);
// Records NotFound for NAME when records_not_found(NAME): the one place a
// request nothing answers is recorded.
void record_not_found(std::string tool, std::string name);

// The module's taint flags ("OE") from /proc/modules text, empty if none.
std::string taint_of(std::string_view proc_modules, std::string_view module);

}  // namespace kmodx::stats
