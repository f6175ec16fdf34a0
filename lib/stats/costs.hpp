// SPDX-License-Identifier: LGPL-2.1-or-later
// What module loads cost the kernel, by the kernel's own byte rules
// (CONFIG_MODULE_STATS, docs/stats.md "What a duplicate costs"), so that what kmodx
// records adds up like /sys/kernel/debug/modules/stats.
//
// A duplicate that reaches the kernel fails either before the module's memory
// is allocated ("becoming": decompressed length, + compressed length when the
// kernel decompressed) or after ("load": 2 x decompressed, + compressed).
// Which one a duplicate meets depends on the kernel: since 6.4
// module_patient_check_exists() finds the name before allocation (the bulk of
// the kernel's own counts: 187-214 becoming against 0-5 load in the measured
// 8-CPU storm); older kernels allocate first and find it in
// add_unformed_module(). kmodx charges a suppressed or in-kernel duplicate by
// the rule of the running kernel's release, using the module file's real
// sizes.
#pragma once

#include <kmodx/compression.hpp>
#include <kmodx/kernel.hpp>
#include <kmodx/result.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kmodx::stats {

enum class KernelStage { Becoming, Load };

struct KernelCost {
    std::uint64_t read_bytes = 0;   // what the kernel reads or copies in: the file (finit) or the image (init_module)
    std::uint64_t alloc_bytes = 0;  // what its stats count as wasted for the failure
};

// The kernel's rule for one failed load of a module of these sizes.
// `finit`: the kernel reads the file itself (finit_module), else it copies
// an image handed to init_module.
KernelCost duplicate_cost(KernelStage stage, std::uint64_t file_bytes, std::uint64_t image_bytes,
                          bool kernel_decompressed, bool finit);

// Where a duplicate fails on a kernel of this release ("6.1.0-28-amd64"):
// Becoming from 6.4 on, Load before, Becoming when unparsable.
KernelStage duplicate_stage(std::string_view release);
KernelStage running_kernel_duplicate_stage();  // uname(2), once per process

// A module file's sizes as a load by kmodx would see them, without reading
// or decompressing it: format by magic, file size, decompressed size (the
// file itself, or what a compressed file declares: 0 when it declares
// nothing), and whether the kernel would decompress it (finit path).
struct FileFacts {
    Compression format = Compression::None;
    std::uint64_t file_bytes = 0;
    std::uint64_t image_bytes = 0;
    bool kernel_decompresses = false;
};
Result<FileFacts> file_facts(Kernel& kernel, const std::string& path);

// What a duplicate of this file would have cost the running kernel.
KernelCost duplicate_cost_of(const FileFacts& f, KernelStage stage);

}  // namespace kmodx::stats
