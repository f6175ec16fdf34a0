// SPDX-License-Identifier: LGPL-2.1-or-later
// The one load path: a module file, its parameters and the --force flags in,
// exactly one successful kernel load call out (two only when finit_module is
// missing and init_module is tried after it).
//
//   uncompressed                      -> finit_module(fd, params, force flags)
//   compressed, kernel decompresses   -> finit_module(fd, params, force | COMPRESSED_FILE)
//     that format (by magic bytes)
//   compressed otherwise, or finit    -> decompress here, apply --force edits to
//     returns ENOSYS                     the ELF, init_module(image, params)
//
// EEXIST is an outcome (AlreadyLoaded), not an error; every other kernel
// errno comes back unchanged so callers can word it as kmod does
// (include/kmodx/messages.hpp).
#pragma once

#include <kmodx/compression.hpp>
#include <kmodx/kernel.hpp>
#include <kmodx/module_image.hpp>
#include <kmodx/result.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace kmodx {

struct LoadRequest {
    std::string path;
    std::string params;
    bool force_vermagic = false;
    bool force_modversion = false;
    ImageLimits limits = {};
    // Hand the opened file back in LoadReport::image: the stats event reads
    // the module's ELF from it instead of opening the file again.
    bool keep_image = false;
};

enum class LoadOutcome { Inserted, AlreadyLoaded };

enum class LoadSyscall { None, FinitModule, InitModule };

struct LoadReport {
    LoadOutcome outcome = LoadOutcome::Inserted;
    Compression format = Compression::None;
    LoadSyscall syscall = LoadSyscall::None;  // the call that gave the outcome
    bool kernel_decompressed = false;         // finit with MODULE_INIT_COMPRESSED_FILE
    bool finit_fell_back = false;             // finit said ENOSYS, init_module used
    std::uint64_t file_bytes = 0;
    // Decompressed size. When the kernel decompressed, it is the size the
    // file declares in its headers (image_bytes_declared), 0 if it has none.
    std::uint64_t image_bytes = 0;
    bool image_bytes_declared = false;
    std::uint64_t read_ns = 0;
    std::uint64_t decompress_ns = 0;
    std::uint64_t syscall_ns = 0;  // all load syscalls together
    // With keep_image: the file as loaded (its fd, its decompressed image
    // when userspace made one), on failure too once it was opened.
    std::shared_ptr<ModuleImage> image;
};

// Which finit_module flags the force options stand for.
unsigned force_flags(const LoadRequest& req);

// Failures: opening/reading/decompressing the file (their errno, a context
// naming the path), ENOEXEC when a --force edit meets a corrupt ELF, or the
// kernel's errno with context "finit_module"/"init_module".
// `facts`, when given, receives the report on failure too (sizes, format and
// timings known up to the failing step), for statistics of failed loads.
Result<LoadReport> load_module(Kernel& kernel, const LoadRequest& req, LoadReport* facts = nullptr);

}  // namespace kmodx
