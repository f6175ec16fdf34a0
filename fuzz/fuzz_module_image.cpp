// SPDX-License-Identifier: LGPL-2.1-or-later
// A module file as kmodx reads it: ModuleImage (magic, read, decompression
// under a bound), the declared decompressed size read from headers and
// trailers (load/declared_size), the ELF reader (load/elf: sections,
// .modinfo, the --force edits) and the stats footprint that walks the
// section table. The input is the file, written to a memfd opened by path.
// Input: [4-byte image bound][file bytes].
// Properties: no memory error; errors are values; the --force edits keep
// the image parseable and do what they say.
#include <kmodx/module_image.hpp>

#include "fuzz_common.hpp"
#include "load/declared_size.hpp"
#include "load/elf.hpp"
#include "stats/costs.hpp"
#include "stats/footprint.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

int g_fd = -1;
std::string g_path;

void check_elf(std::span<const std::byte> bytes) {
    namespace elf = kmodx::elf;
    auto img = elf::Image::parse(bytes);
    if (!img) {
        FUZZ_CHECK(img.error().code == ENOEXEC);
        FUZZ_CHECK(!elf::modinfo_value(bytes, "vermagic"));
        return;
    }
    for (std::size_t i = 0; i < img->section_count(); ++i) {
        auto s = img->section(i);
        if (!s) continue;
        if (auto d = img->data(*s); d && !d->empty()) {
            FUZZ_CHECK(d->data() >= bytes.data());
            FUZZ_CHECK(d->data() + d->size() <= bytes.data() + bytes.size());
        }
    }
    for (const char* key : {"vermagic", "name", "depends", "alias"}) (void)elf::modinfo_value(bytes, key);

    std::vector<std::byte> copy(bytes.begin(), bytes.end());
    if (elf::clear_alloc_flag(copy, "__versions")) {
        auto again = elf::Image::parse(copy);
        FUZZ_CHECK(again.has_value());
        auto s = again->find("__versions");
        FUZZ_CHECK(s.has_value());
        FUZZ_CHECK(!(s->flags & elf::kShfAlloc));
    }
    auto before = elf::modinfo_value(copy, "vermagic");
    if (elf::strip_vermagic(copy)) {
        FUZZ_CHECK(before.has_value());
        FUZZ_CHECK(elf::Image::parse(copy).has_value());
    } else {
        FUZZ_CHECK(!before.has_value());
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g_fd = memfd_create("fuzz-module", MFD_CLOEXEC);
    if (g_fd < 0) std::abort();
    g_path = "/proc/self/fd/" + std::to_string(g_fd);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint64_t bound = in.u32() % ((8u << 20) + 1);
    const auto file = in.rest();
    if (::ftruncate(g_fd, 0) != 0) std::abort();
    if (!file.empty() && ::pwrite(g_fd, file.data(), file.size(), 0) != static_cast<ssize_t>(file.size())) std::abort();

    kmodx::ImageLimits limits;
    limits.max_image_bytes = bound;
    auto m = kmodx::ModuleImage::open(g_path, limits);
    FUZZ_CHECK(m.has_value());
    FUZZ_CHECK(m->file_bytes() == file.size());
    FUZZ_CHECK(m->format() == kmodx::detect_compression(file));
    auto declared = kmodx::declared_size(m->fd(), m->file_bytes(), m->format());
    if (m->format() == kmodx::Compression::None) FUZZ_CHECK(declared == file.size());

    auto raw = m->file_contents();
    FUZZ_CHECK(raw.has_value());
    FUZZ_CHECK(raw->size() == file.size());
    auto image = m->image();
    if (image) {
        if (m->format() != kmodx::Compression::None) FUZZ_CHECK(image->size() <= bound);
        FUZZ_CHECK(m->image_bytes() == image->size());
        check_elf(*image);
    }

    auto fp = kmodx::stats::footprint_of_file(g_path, bound);
    if (fp && image) {
        auto direct = kmodx::stats::footprint(*image);
        FUZZ_CHECK(direct.has_value());
        FUZZ_CHECK(direct->module_bytes == fp->module_bytes && direct->text_bytes == fp->text_bytes);
    }
    return 0;
}
