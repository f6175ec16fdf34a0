// SPDX-License-Identifier: LGPL-2.1-or-later
// The kernel seam. What kmodx's loads and unloads ask of the running kernel
// goes through this interface: the load/unload syscalls, module state in
// /sys/module, /proc/modules, /proc/cmdline and /sys/module/compression.
// The stats side reads a few files for its record and reports directly
// (the boot id, the requester's /proc entries, the kernel's debugfs stats):
// they describe the machine, not a load, and the fake has no use for them. Production code
// uses system_kernel(); unit tests pass a fake that records every call and can
// fail any of them (testsuite/unit/fake_kernel.hpp).
//
// libkmod reads some of the same files itself (initstate, refcnt, holders);
// end-to-end tests therefore redirect the real paths with the simulated
// kernel (testsuite/simkernel), while unit tests use the fake.
#pragma once

#include <kmodx/compression.hpp>
#include <kmodx/result.hpp>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx {

// finit_module(2) flags (include/uapi/linux/module.h).
inline constexpr unsigned kInitIgnoreModversions = 1;
inline constexpr unsigned kInitIgnoreVermagic = 2;
inline constexpr unsigned kInitCompressedFile = 4;

enum class ModuleState { Absent, Coming, Live, Going };

// What a process is doing, as /proc/PID/syscall says: blocked inside
// init_module or finit_module; on a CPU or waiting for one (the kernel names
// no syscall for a runnable task, in the kernel or not); anything else
// (blocked in another syscall, stopped, gone, or not ours to look at).
enum class TaskActivity { InLoadCall, Running, Other };

class Kernel {
public:
    virtual ~Kernel() = default;

    // The syscalls; failures carry the kernel's errno untouched.
    virtual Status finit_module(int fd, const std::string& params, unsigned flags) = 0;
    virtual Status init_module(std::span<const std::byte> image, const std::string& params) = 0;
    virtual Status delete_module(const std::string& name, unsigned flags) = 0;

    // /sys/module/NAME/initstate; a directory without initstate is Coming,
    // no directory is Absent (builtins are libkmod's business, not the kernel's).
    virtual ModuleState module_state(std::string_view name) = 0;
    // /sys/module/NAME/refcnt
    virtual Result<int> refcount(std::string_view name) = 0;
    // /sys/module/NAME/holders/*
    virtual Result<std::vector<std::string>> holders(std::string_view name) = 0;
    // Which load of NAME is in the kernel now: /sys/module/NAME's inode
    // number. kernfs numbers every directory it creates with cyclic ids and a
    // generation, so the number never comes back for a later load of NAME.
    virtual Result<std::uint64_t> module_instance(std::string_view name) = 0;
    // Whole contents of /proc/modules and /proc/cmdline.
    virtual Result<std::string> proc_modules() = 0;
    virtual Result<std::string> cmdline() = 0;
    // The one format /sys/module/compression names, if the kernel decompresses.
    virtual std::optional<Compression> compression() = 0;
    // What process PID is doing (/proc/PID/syscall); Other when we may not look.
    virtual TaskActivity task_activity(pid_t pid) = 0;
    // When process PID started, in clock ticks since boot (/proc/PID/stat,
    // field 22): with the pid it names one process for good, as a pid alone
    // is handed to the next process once its owner exits. nullopt when gone
    // or unreadable.
    virtual std::optional<std::uint64_t> task_start_time(pid_t pid) = 0;
};

// The running kernel. Lives for the whole process.
Kernel& system_kernel();

}  // namespace kmodx
