// SPDX-License-Identifier: LGPL-2.1-or-later
// Relocatable ELF images built section by section: modules made to order
// (make_module) and images with exact section sizes, alignments and symbol
// tables (the kernel's module layout rules), rather than the fixture
// modules' compiler output (testsuite/fixtures/elf_module.cpp, which makes
// modules depmod and modinfo accept, with symbols and CRCs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace kmodx::test {

inline constexpr std::uint64_t kShfWrite = 0x1, kShfAlloc = 0x2, kShfExec = 0x4;
inline constexpr std::uint32_t kShtProgbits = 1, kShtSymtab = 2, kShtStrtab = 3, kShtNobits = 8;

struct ElfSection {
    // A constructor rather than an aggregate: tests list only the leading
    // fields they care about.
    ElfSection(std::string n = {}, std::uint32_t t = kShtProgbits, std::uint64_t f = 0, std::size_t sz = 0,
               std::uint64_t al = 1, std::uint32_t lk = 0, std::string c = {})
        : name(std::move(n)), type(t), flags(f), size(sz), align(al), link(lk), content(std::move(c)) {}

    std::string name;
    std::uint32_t type = kShtProgbits;
    std::uint64_t flags = 0;
    std::size_t size = 0;  // of NOBITS sections, and of others without content
    std::uint64_t align = 1;
    std::uint32_t link = 0;  // a section index, counting the null section as 0
    std::string content;     // the section's bytes; none: `size` filler bytes
};

// One symbol of an ELF64 symbol table.
inline std::string elf64_sym(std::uint32_t name, std::uint16_t shndx) {
    std::string s(24, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(name >> (8 * i));
    s[6] = static_cast<char>(shndx), s[7] = static_cast<char>(shndx >> 8);
    return s;
}

// The one ELF writer of the unit tests: a relocatable object of SECTIONS (after
// the null one) and a .shstrtab naming them, last. ELF64 little-endian unless
// asked otherwise, so the ELF readers can be shown the other three forms.
struct ElfForm {
    bool elf32 = false;
    bool big_endian = false;
};

inline std::vector<std::byte> elf_image(const std::vector<ElfSection>& in, ElfForm form = {}) {
    std::vector<ElfSection> secs{ElfSection{}};
    secs.insert(secs.end(), in.begin(), in.end());
    secs.push_back({".shstrtab", kShtStrtab, 0, 0, 1, 0, {}});
    std::string shstr(1, '\0');
    std::vector<std::uint32_t> names;
    for (const auto& s : secs) {
        names.push_back(s.name.empty() ? 0 : static_cast<std::uint32_t>(shstr.size()));
        if (!s.name.empty()) shstr += s.name + '\0';
    }
    secs.back().content = shstr;
    const bool e64 = !form.elf32;
    const std::size_t ehsize = e64 ? 64 : 52, shentsize = e64 ? 64 : 40, word = e64 ? 8 : 4;
    std::string out(ehsize, '\0');
    auto put = [&](std::size_t at, std::uint64_t v, std::size_t w) {
        if (out.size() < at + w) out.resize(at + w);
        for (std::size_t i = 0; i < w; ++i)
            out[form.big_endian ? at + w - 1 - i : at + i] = static_cast<char>(v >> (8 * i));
    };
    std::memcpy(out.data(),
                "\x7f"
                "ELF",
                4);
    out[4] = e64 ? 2 : 1, out[5] = form.big_endian ? 2 : 1, out[6] = 1;
    put(16, 1, 2);                           // ET_REL
    put(18, e64 ? 62 : 3, 2);                // x86_64 / i386
    put(20, 1, 4);                           // EV_CURRENT
    put(e64 ? 52 : 40, ehsize, 2);           // e_ehsize
    put(e64 ? 58 : 46, shentsize, 2);        // e_shentsize
    put(e64 ? 60 : 48, secs.size(), 2);      // e_shnum
    put(e64 ? 62 : 50, secs.size() - 1, 2);  // e_shstrndx: .shstrtab is last
    std::vector<std::size_t> offs, sizes;
    for (std::size_t i = 0; i < secs.size(); ++i) {
        offs.push_back(out.size());
        const auto& s = secs[i];
        sizes.push_back(s.content.empty() ? s.size : s.content.size());
        if (s.type == kShtNobits || i == 0) continue;
        out += s.content.empty() ? std::string(s.size, '\x90') : s.content;
    }
    const std::size_t shoff = (out.size() + 7) & ~std::size_t{7};
    put(e64 ? 40 : 32, shoff, word);
    for (std::size_t i = 0; i < secs.size(); ++i) {
        const std::size_t h = shoff + i * shentsize;
        put(h + shentsize - 1, 0, 1);  // the whole header, zeroed
        put(h, names[i], 4), put(h + 4, secs[i].type, 4), put(h + 8, secs[i].flags, word);
        put(h + (e64 ? 24 : 16), i == 0 ? 0 : offs[i], word);
        put(h + (e64 ? 32 : 20), sizes[i], word);
        put(h + (e64 ? 40 : 24), secs[i].link, 4);
        put(h + (e64 ? 48 : 32), secs[i].align, word);
    }
    auto* p = reinterpret_cast<const std::byte*>(out.data());
    return {p, p + out.size()};
}

// SECTIONS, then a .modinfo naming the module (ALLOC, as compilers emit it).
inline std::vector<std::byte> elf_with(const std::vector<ElfSection>& in, const std::string& name = "sized") {
    std::vector<ElfSection> secs = in;
    secs.push_back({".modinfo", kShtProgbits, kShfAlloc, 0, 1, 0, "name=" + name + std::string(1, '\0')});
    return elf_image(secs);
}

struct ModuleSpec {
    std::vector<std::string> modinfo;  // "key=value" entries
    bool versions = true;              // add an ALLOC __versions section
    bool elf32 = false;
    bool big_endian = false;
};

// A minimal module: .modinfo (the entries, NUL-separated) and optionally
// __versions (one fake {crc, "name"} record's worth).
inline std::vector<std::byte> make_module(const ModuleSpec& spec) {
    std::string info;
    for (const auto& e : spec.modinfo) info += e + '\0';
    std::vector<ElfSection> secs{{".modinfo", kShtProgbits, kShfAlloc, 0, 1, 0, info}};
    if (spec.versions) secs.push_back({"__versions", kShtProgbits, kShfAlloc, 0, 1, 0, std::string(64, '\x11')});
    return elf_image(secs, {spec.elf32, spec.big_endian});
}

inline std::vector<std::byte> make_module(const std::vector<std::string>& modinfo, bool with_versions = true) {
    return make_module(ModuleSpec{modinfo, with_versions});
}

}  // namespace kmodx::test
