// SPDX-License-Identifier: LGPL-2.1-or-later
// Relocatable ELF64 LE images built section by section, for tests that need
// exact section sizes, alignments and symbol tables (the kernel's module
// layout rules) rather than the fixture modules' compiler output.
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

// The sections after the null one, then a .modinfo naming the module (ALLOC,
// as compilers emit it) and .shstrtab last.
inline std::vector<std::byte> elf_with(const std::vector<ElfSection>& in, const std::string& name = "sized") {
    std::vector<ElfSection> secs{ElfSection{}};
    secs.insert(secs.end(), in.begin(), in.end());
    secs.push_back({".modinfo", kShtProgbits, kShfAlloc, 0, 1, 0, "name=" + name + std::string(1, '\0')});
    secs.push_back({".shstrtab", kShtStrtab, 0, 0, 1, 0, {}});
    std::string shstr(1, '\0');
    std::vector<std::uint32_t> names;
    for (const auto& s : secs) {
        names.push_back(s.name.empty() ? 0 : static_cast<std::uint32_t>(shstr.size()));
        if (!s.name.empty()) shstr += s.name + '\0';
    }
    secs.back().content = shstr;
    std::string out(64, '\0');
    auto put = [&](std::size_t at, std::uint64_t v, std::size_t w) {
        if (out.size() < at + w) out.resize(at + w);
        for (std::size_t i = 0; i < w; ++i) out[at + i] = static_cast<char>(v >> (8 * i));
    };
    std::memcpy(out.data(),
                "\x7f"
                "ELF",
                4);
    out[4] = 2, out[5] = 1, out[6] = 1;
    put(16, 1, 2), put(18, 62, 2), put(20, 1, 4), put(52, 64, 2), put(58, 64, 2);
    put(60, secs.size(), 2), put(62, secs.size() - 1, 2);
    std::vector<std::size_t> offs, sizes;
    for (std::size_t i = 0; i < secs.size(); ++i) {
        offs.push_back(out.size());
        const auto& s = secs[i];
        sizes.push_back(s.content.empty() ? s.size : s.content.size());
        if (s.type == kShtNobits || i == 0) continue;
        out += s.content.empty() ? std::string(s.size, '\x90') : s.content;
    }
    const std::size_t shoff = (out.size() + 7) & ~std::size_t{7};
    put(40, shoff, 8);
    for (std::size_t i = 0; i < secs.size(); ++i) {
        const std::size_t h = shoff + i * 64;
        put(h + 63, 0, 1);
        put(h, names[i], 4), put(h + 4, secs[i].type, 4), put(h + 8, secs[i].flags, 8);
        put(h + 24, offs[i], 8), put(h + 32, sizes[i], 8), put(h + 40, secs[i].link, 4);
        put(h + 48, secs[i].align, 8);
    }
    auto* p = reinterpret_cast<const std::byte*>(out.data());
    return {p, p + out.size()};
}

}  // namespace kmodx::test
