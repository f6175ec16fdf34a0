// SPDX-License-Identifier: LGPL-2.1-or-later
#include "stats/footprint.hpp"

#include <kmodx/module_image.hpp>

#include "load/elf.hpp"

#include <sys/mman.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace kmodx::stats {
namespace {

constexpr std::uint64_t kShfWrite = 0x1, kShfExecinstr = 0x4;
// The kernel's private flag for sections that become read-only after init.
constexpr std::uint64_t kShfRoAfterInit = 0x00200000;
constexpr std::uint32_t kShtSymtab = 2;

// The kernel's mod_mem_type, in its order; None: not (yet) placed.
enum Region : int { Text, Rodata, RoAfterInit, Data, InitText, InitRodata, InitData, kRegions, None = -1 };

// layout_sections(): the first mask a section matches picks its region; the
// init pass has no ro_after_init region.
struct Mask {
    std::uint64_t need, refuse;
    Region core, init;
};
constexpr std::array<Mask, 5> kMasks{{
    {kShfExecinstr | elf::kShfAlloc, 0, Text, InitText},
    {elf::kShfAlloc, kShfWrite, Rodata, InitRodata},
    {kShfRoAfterInit | elf::kShfAlloc, 0, RoAfterInit, None},
    {kShfWrite | elf::kShfAlloc, 0, Data, InitData},
    {elf::kShfAlloc, 0, Data, InitData},
}};

// Above this a region cannot be a module (the kernel's sizes are unsigned
// int), and sums of hostile NOBITS sizes cannot overflow.
constexpr std::uint64_t kMaxRegion = std::uint64_t{1} << 32;

std::unexpected<Error> corrupt(const char* what) { return failure(ENOEXEC, std::string("ELF: ") + what); }

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return a <= 1 ? v : (v + a - 1) / a * a; }

class Layout {
public:
    explicit Layout(const elf::Image& img) : img_(img) {}

    Result<Footprint> run(std::uint64_t page) {
        if (auto st = read_sections(); !st) return std::unexpected(st.error());
        for (bool init : {false, true})
            for (const Mask& m : kMasks)
                for (std::size_t i = 1; i < secs_.size(); ++i) {
                    const Region r = init ? m.init : m.core;
                    const auto f = secs_[i].flags;
                    if ((f & m.need) != m.need || (f & m.refuse) || place_[i] != None || r == None ||
                        is_init_section(secs_[i].name) != init)
                        continue;
                    if (auto st = put(r, i); !st) return std::unexpected(st.error());
                }
        if (auto st = add_kallsyms(); !st) return std::unexpected(st.error());
        Footprint fp;
        for (int r = 0; r < kRegions; ++r) {
            const std::uint64_t bytes = align_up(size_[r], page);
            fp.module_bytes += bytes;
            if (r == Text || r == InitText) fp.text_bytes += bytes;
        }
        return fp;
    }

private:
    static bool is_init_section(std::string_view name) { return name.starts_with(".init"); }

    // The flags as the kernel sees them once it has rewritten the headers.
    Status read_sections() {
        for (std::size_t i = 0; i < img_.section_count(); ++i) {
            auto s = img_.section(i);
            if (!s) return std::unexpected(s.error());
            // Never loaded: read for modinfo and version checks only.
            if (s->name == ".modinfo" || s->name == "__versions") s->flags &= ~elf::kShfAlloc;
            if (s->name == ".data..ro_after_init" || s->name == "__jump_table") s->flags |= kShfRoAfterInit;
            // Per-CPU data is allocated per CPU, outside the module's regions.
            if (s->name == ".data..percpu" && (s->flags & elf::kShfAlloc)) {
                s->flags &= ~elf::kShfAlloc;
                pcpu_ = i;
            }
            secs_.push_back(*s);
        }
        place_.assign(secs_.size(), None);
        return {};
    }

    Status grow(Region r, std::uint64_t align, std::uint64_t bytes) {
        if (align >= kMaxRegion || bytes >= kMaxRegion) return corrupt("section too large");
        size_[r] = align_up(size_[r], align) + bytes;
        if (size_[r] >= kMaxRegion) return corrupt("module too large");
        return {};
    }

    Status put(Region r, std::size_t i) {
        place_[i] = r;
        return grow(r, secs_[i].addralign, secs_[i].size);
    }

    bool in_core(std::size_t shndx) const {
        if (shndx == pcpu_) return true;
        const Region r = place_[shndx];
        return (secs_[shndx].flags & elf::kShfAlloc) && r != None && r < InitText;
    }

    // layout_symtab() with CONFIG_KALLSYMS_ALL (Debian's): the symbol and
    // string tables go whole to init data; symbol 0 and every named symbol
    // of a core section are copied to data with their names and types.
    Status add_kallsyms() {
        std::size_t sym = 0;
        for (std::size_t i = 1; i < secs_.size() && !sym; ++i)
            if (secs_[i].type == kShtSymtab) sym = i;
        if (!sym) return {};  // the kernel refuses such a module; nothing to add
        const elf::Section& symtab = secs_[sym];
        if (symtab.link == 0 || symtab.link >= secs_.size()) return corrupt("symbol table without strings");
        const elf::Section& strtab = secs_[symtab.link];
        auto syms = img_.data(symtab);
        if (!syms) return std::unexpected(syms.error());
        auto strs = img_.data(strtab);
        if (!strs) return std::unexpected(strs.error());
        const std::size_t entry = img_.is64() ? 24 : 16;
        const std::size_t name_at = 0, shndx_at = img_.is64() ? 6 : 14;
        const std::size_t nsrc = syms->size() / entry;
        const std::uint64_t base = symtab.offset;

        if (auto st = put(InitData, sym); !st) return st;
        std::uint64_t ndst = 0, names = 0;
        for (std::size_t k = 0; k < nsrc; ++k) {
            const std::uint64_t at = base + k * entry;
            const std::uint64_t name = img_.read_uint(at + name_at, 4);
            const std::uint64_t shndx = img_.read_uint(at + shndx_at, 2);
            if (k != 0 && (shndx == 0 || shndx >= secs_.size() || name == 0 || !in_core(shndx))) continue;
            if (name >= strs->size()) return corrupt("symbol name out of range");
            const void* nul = std::memchr(strs->data() + name, 0, strs->size() - name);
            if (!nul) return corrupt("unterminated symbol name");
            names += static_cast<const std::byte*>(nul) - (strs->data() + name) + 1;
            ++ndst;
        }
        if (auto st = grow(Data, symtab.addralign, ndst * entry + names + ndst); !st) return st;
        if (auto st = put(InitData, symtab.link); !st) return st;
        // struct mod_kallsyms (three pointers and an unsigned int), then a
        // type byte per source symbol.
        const std::uint64_t kallsyms = img_.is64() ? 32 : 16, kallsyms_align = img_.is64() ? 8 : 4;
        return grow(InitData, kallsyms_align, kallsyms + nsrc);
    }

    const elf::Image& img_;
    std::vector<elf::Section> secs_;
    std::vector<Region> place_;
    std::array<std::uint64_t, kRegions> size_{};
    std::size_t pcpu_ = 0;
};

}  // namespace

Result<Footprint> footprint(std::span<const std::byte> image, std::uint64_t page_size) {
    auto elf = elf::Image::parse(image);
    if (!elf) return std::unexpected(elf.error());
    return Layout(*elf).run(page_size);
}

Result<Footprint> footprint_of_image(ModuleImage& img) {
    if (img.format() != Compression::None) {
        auto bytes = img.image();
        if (!bytes) return std::unexpected(bytes.error());
        return footprint(*bytes);
    }
    if (img.file_bytes() == 0) return failure(ENOEXEC, img.path() + ": empty");
    // Mapped, not read: only the pages of the headers and symbol tables are touched.
    void* map = ::mmap(nullptr, img.file_bytes(), PROT_READ, MAP_PRIVATE, img.fd(), 0);
    if (map == MAP_FAILED) return failure_errno("mmap " + img.path());
    auto fp = footprint({static_cast<const std::byte*>(map), static_cast<std::size_t>(img.file_bytes())});
    ::munmap(map, img.file_bytes());
    return fp;
}

Result<Footprint> footprint_of_file(const std::string& path, std::uint64_t max_image_bytes) {
    ImageLimits limits;
    limits.max_image_bytes = max_image_bytes;
    auto img = ModuleImage::open(path, limits);
    if (!img) return std::unexpected(img.error());
    return footprint_of_image(*img);
}

}  // namespace kmodx::stats
