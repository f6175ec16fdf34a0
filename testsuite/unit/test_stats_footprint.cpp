// SPDX-License-Identifier: LGPL-2.1-or-later
#include "stats/footprint.hpp"

#include "test_elf.hpp"
#include "test_files.hpp"

#include <cerrno>

#include "cmocka.hpp"

using namespace kmodx;
using namespace kmodx::stats;
using namespace kmodx::test;

namespace {

// Names: "" 0, init_fn 1, core_fn 9, table 17, pcpu_var 23, undef 32, abs 38, modver 42.
const std::string kStrtab = std::string("\0init_fn\0core_fn\0table\0pcpu_var\0undef\0abs\0modver\0", 49);

// Section indexes as elf_with() numbers them (the null section is 0).
enum : std::uint16_t {
    kText = 1,
    kInitText,
    kRodata,
    kData,
    kBss,
    kRoAfterInit,
    kPercpu,
    kVersions,
    kSymtabIdx,
    kStrtabIdx
};

std::string symbols() {
    return elf64_sym(0, 0)              // symbol 0: always copied
           + elf64_sym(1, kInitText)    // in an init region: dropped after init
           + elf64_sym(9, kText)        // core
           + elf64_sym(17, kRodata)     // core (KALLSYMS_ALL keeps data symbols)
           + elf64_sym(23, kPercpu)     // core: per-CPU symbols are kept
           + elf64_sym(0, kText)        // unnamed (a section symbol)
           + elf64_sym(32, 0)           // undefined
           + elf64_sym(38, 0xfff1)      // absolute
           + elf64_sym(42, kVersions);  // in a section the kernel does not load
}

std::vector<ElfSection> module_sections() {
    return {
        {".text", kShtProgbits, kShfAlloc | kShfExec, 1000, 16},
        {".init.text", kShtProgbits, kShfAlloc | kShfExec, 200, 16},
        {".rodata", kShtProgbits, kShfAlloc, 300, 32},
        {".data", kShtProgbits, kShfAlloc | kShfWrite, 50, 8},
        {".bss", kShtNobits, kShfAlloc | kShfWrite, 4096, 64},
        {".data..ro_after_init", kShtProgbits, kShfAlloc | kShfWrite, 24, 8},
        {".data..percpu", kShtProgbits, kShfAlloc | kShfWrite, 128, 64},
        {"__versions", kShtProgbits, kShfAlloc, 64, 8},
        {".symtab", kShtSymtab, 0, 0, 8, kStrtabIdx, symbols()},
        {".strtab", kShtStrtab, 0, 0, 1, 0, kStrtab},
        {".rela.text", 4, 0x40, 900, 8},
    };
}

// By hand, the kernel's layout of module_sections():
//   text 1000; rodata 300 (__versions and .modinfo are not loaded);
//   ro_after_init 24; data: .data 50, .bss at 64 -> 4160, then the core
//   symbols at 4160: 4 x 24 + names 1+8+6+9 + 4 type bytes -> 4284;
//   init text 200; init data: .symtab 9 x 24 = 216, .strtab 49 -> 265, struct
//   mod_kallsyms at 272 + 32, 9 type bytes -> 313. Per-CPU data is elsewhere.
constexpr std::uint64_t kExactBytes = 1000 + 300 + 24 + 4284 + 200 + 313;
constexpr std::uint64_t kExactText = 1200;
// In 4 KiB pages: one page each, two for data.
constexpr std::uint64_t kPagedBytes = 7 * 4096;
constexpr std::uint64_t kPagedText = 2 * 4096;

}  // namespace

static void regions_follow_the_kernels_layout(void**) {
    const Bytes img = elf_with(module_sections());
    auto exact = footprint(img, 1);
    assert_true(exact.has_value());
    assert_int_equal(exact->module_bytes, kExactBytes);
    assert_int_equal(exact->text_bytes, kExactText);
    auto paged = footprint(img);
    assert_true(paged.has_value());
    assert_int_equal(paged->module_bytes, kPagedBytes);
    assert_int_equal(paged->text_bytes, kPagedText);
}

static void empty_regions_take_no_page(void**) {
    // Text only (and no symbol table): one region, one page.
    auto fp = footprint(elf_with({{".text", kShtProgbits, kShfAlloc | kShfExec, 10, 16}}));
    assert_true(fp.has_value());
    assert_int_equal(fp->module_bytes, 4096);
    assert_int_equal(fp->text_bytes, 4096);
}

static void corrupt_images_give_no_figure(void**) {
    const Bytes img = elf_with(module_sections());
    Bytes cut(img.begin(), img.begin() + 100);
    assert_int_equal(footprint(cut).error().code, ENOEXEC);
    assert_int_equal(footprint(Bytes(200, std::byte{'x'})).error().code, ENOEXEC);
    // A symbol table whose string table is missing, or whose names run out of it.
    auto secs = module_sections();
    secs[kSymtabIdx - 1].link = 0;
    assert_int_equal(footprint(elf_with(secs)).error().code, ENOEXEC);
    secs = module_sections();
    secs[kSymtabIdx - 1].content += elf64_sym(4000, kText);
    assert_int_equal(footprint(elf_with(secs)).error().code, ENOEXEC);
    secs = module_sections();
    secs[kStrtabIdx - 1].content = std::string("\0core_fn", 8);  // last name unterminated
    secs[kSymtabIdx - 1].content = elf64_sym(0, 0) + elf64_sym(1, kText);
    assert_int_equal(footprint(elf_with(secs)).error().code, ENOEXEC);
    // A NOBITS section of absurd size cannot overflow the sums.
    secs = module_sections();
    secs[kBss - 1].size = ~std::size_t{0} - 10;
    assert_int_equal(footprint(elf_with(secs)).error().code, ENOEXEC);
}

static void files_of_any_format_give_the_same_figure(void**) {
    ScratchDir dir;
    const Bytes img = elf_with(module_sections());
    for (Compression c : {Compression::None, Compression::Gzip, Compression::Xz, Compression::Zstd}) {
        const std::string path = put(dir, "m" + std::to_string(int(c)) + ".ko", compress(c, img));
        auto fp = footprint_of_file(path);
        assert_true(fp.has_value());
        assert_int_equal(fp->module_bytes, kPagedBytes);
        assert_int_equal(fp->text_bytes, kPagedText);
    }
    assert_int_equal(footprint_of_file(dir.str() + "/missing.ko").error().code, ENOENT);
    const std::string empty = put(dir, "empty.ko", {});
    assert_false(footprint_of_file(empty).has_value());
    // A decompressed image over the bound is not decompressed for stats.
    const std::string big = put(dir, "big.ko.xz", xz(img));
    assert_false(footprint_of_file(big, 100).has_value());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(regions_follow_the_kernels_layout),
        cmocka_unit_test(empty_regions_take_no_page),
        cmocka_unit_test(corrupt_images_give_no_figure),
        cmocka_unit_test(files_of_any_format_give_the_same_figure),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
