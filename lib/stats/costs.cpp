// SPDX-License-Identifier: LGPL-2.1-or-later
#include "stats/costs.hpp"

#include <kmodx/fd.hpp>
#include <kmodx/module_image.hpp>

#include "load/declared_size.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <charconv>

namespace kmodx::stats {
KernelCost duplicate_cost(KernelStage stage, std::uint64_t file_bytes, std::uint64_t image_bytes,
                          bool kernel_decompressed, bool finit) {
    KernelCost c;
    c.read_bytes = finit ? file_bytes : image_bytes;
    c.alloc_bytes = stage == KernelStage::Load ? 2 * image_bytes : image_bytes;
    if (kernel_decompressed) c.alloc_bytes += file_bytes;
    return c;
}

KernelStage duplicate_stage(std::string_view release) {
    unsigned major = 0, minor = 0;
    const char* p = release.data();
    const char* end = p + release.size();
    auto r = std::from_chars(p, end, major);
    if (r.ec != std::errc{} || r.ptr == end || *r.ptr != '.') return KernelStage::Becoming;
    r = std::from_chars(r.ptr + 1, end, minor);
    if (r.ec != std::errc{}) return KernelStage::Becoming;
    return (major > 6 || (major == 6 && minor >= 4)) ? KernelStage::Becoming : KernelStage::Load;
}

KernelStage running_kernel_duplicate_stage() {
    static const KernelStage stage = [] {
        struct utsname u {};
        return ::uname(&u) == 0 ? duplicate_stage(u.release) : KernelStage::Becoming;
    }();
    return stage;
}

Result<FileFacts> file_facts(Kernel& kernel, const std::string& path) {
    auto img = ModuleImage::open(path);
    if (!img) return std::unexpected(img.error());
    FileFacts f;
    f.format = img->format();
    f.file_bytes = img->file_bytes();
    if (f.format == Compression::None) {
        f.image_bytes = f.file_bytes;
        return f;
    }
    f.image_bytes = declared_size(img->fd(), f.file_bytes, f.format).value_or(0);
    f.kernel_decompresses = kernel.compression() == f.format;
    return f;
}

KernelCost duplicate_cost_of(const FileFacts& f, KernelStage stage) {
    const bool finit = f.format == Compression::None || f.kernel_decompresses;
    return duplicate_cost(stage, f.file_bytes, f.image_bytes, f.kernel_decompresses, finit);
}

}  // namespace kmodx::stats
