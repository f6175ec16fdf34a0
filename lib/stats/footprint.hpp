// SPDX-License-Identifier: LGPL-2.1-or-later
// A loaded module's kernel memory as CONFIG_MODULE_STATS counts it ("Total
// module size" and "Total mod text size"), computed from the module's ELF the
// way the kernel (6.4+) lays it out, so kmodx's debugfs-format figures agree
// with the kernel's own for the same loads.
//
// The kernel's figures are not the sum of the SHF_ALLOC sections: it sorts
// sections into seven memory regions (text, rodata, ro_after_init, data, and
// the init text, rodata and data freed after init), aligns each section in its
// region, adds the symbol tables kallsyms keeps (the whole .symtab and .strtab
// in init data, the core symbols' copy in data), and allocates each region in
// whole pages; the sizes are taken before the init regions are freed. On a
// 6.12 kernel's 25-module boot this rule gives the kernel's figures exactly,
// where the section sum was 35.6% low (docs/vm.md, scenario 4).
#pragma once

#include <kmodx/module_image.hpp>
#include <kmodx/result.hpp>

#include <cstdint>
#include <span>
#include <string>

namespace kmodx::stats {

struct Footprint {
    std::uint64_t module_bytes = 0;  // every region, page-rounded
    std::uint64_t text_bytes = 0;    // text + init text, page-rounded
};

// ENOEXEC for an image that is not a well-formed relocatable ELF.
Result<Footprint> footprint(std::span<const std::byte> image, std::uint64_t page_size = 4096);

// The same for a file: an uncompressed file is mapped and only its headers
// and symbol tables are touched; a compressed one is decompressed once (at
// most `max_image_bytes`), which a caller does only for a module it just
// loaded.
Result<Footprint> footprint_of_file(const std::string& path, std::uint64_t max_image_bytes = 64u << 20);

// The same for a file the loader already opened (and maybe decompressed).
Result<Footprint> footprint_of_image(ModuleImage& img);

}  // namespace kmodx::stats
