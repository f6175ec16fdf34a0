#include "stats/costs.hpp"
#include "stats/load_event.hpp"

#include "fake_kernel.hpp"
#include "test_files.hpp"

#include <cerrno>
#include <cstring>

#include "cmocka.hpp"

using namespace kmodx;
using namespace kmodx::stats;
using namespace kmodx::test;

namespace {

constexpr std::uint64_t kAlloc = 0x2, kWrite = 0x1, kExec = 0x4;
constexpr std::uint32_t kProgbits = 1, kNobits = 8, kSymtab = 2, kStrtab = 3;

struct Sec {
    const char* name;
    std::uint32_t type;
    std::uint64_t flags;
    std::size_t size;
};

// An ELF64 LE relocatable with the given sections (NOBITS ones take no file
// space), a .modinfo naming it, and .shstrtab last.
Bytes elf_with(const std::vector<Sec>& in, const std::string& name = "sized") {
    std::vector<Sec> secs{{"", 0, 0, 0}};
    secs.insert(secs.end(), in.begin(), in.end());
    const std::string info = "name=" + name + std::string(1, '\0');
    secs.push_back({".modinfo", kProgbits, kAlloc, info.size()});
    secs.push_back({".shstrtab", kStrtab, 0, 0});
    std::string shstr(1, '\0');
    std::vector<std::uint32_t> names;
    for (const auto& s : secs) {
        names.push_back(s.name[0] ? shstr.size() : 0);
        if (s.name[0]) shstr += std::string(s.name) + '\0';
    }
    secs.back().size = shstr.size();
    std::string out(64, '\0');
    auto put = [&](std::size_t at, std::uint64_t v, std::size_t w) {
        if (out.size() < at + w) out.resize(at + w);
        for (std::size_t i = 0; i < w; ++i) out[at + i] = static_cast<char>(v >> (8 * i));
    };
    std::memcpy(out.data(), "\x7f" "ELF", 4);
    out[4] = 2, out[5] = 1, out[6] = 1;
    put(16, 1, 2), put(18, 62, 2), put(20, 1, 4), put(52, 64, 2), put(58, 64, 2);
    put(60, secs.size(), 2), put(62, secs.size() - 1, 2);
    std::vector<std::size_t> offs;
    for (std::size_t i = 0; i < secs.size(); ++i) {
        offs.push_back(out.size());
        if (secs[i].type == kNobits || i == 0) continue;
        if (std::strcmp(secs[i].name, ".modinfo") == 0) out += info;
        else if (std::strcmp(secs[i].name, ".shstrtab") == 0) out += shstr;
        else out += std::string(secs[i].size, '\x90');
    }
    const std::size_t shoff = (out.size() + 7) & ~std::size_t{7};
    put(40, shoff, 8);
    for (std::size_t i = 0; i < secs.size(); ++i) {
        const std::size_t h = shoff + i * 64;
        put(h + 63, 0, 1);
        put(h, names[i], 4), put(h + 4, secs[i].type, 4), put(h + 8, secs[i].flags, 8);
        put(h + 24, offs[i], 8), put(h + 32, secs[i].size, 8), put(h + 48, 1, 8);
    }
    auto* p = reinterpret_cast<const std::byte*>(out.data());
    return {p, p + out.size()};
}

const std::vector<Sec> kLayout = {
    {".text", kProgbits, kAlloc | kExec, 1000},
    {".init.text", kProgbits, kAlloc | kExec, 200},
    {".rodata", kProgbits, kAlloc, 300},
    {".data", kProgbits, kAlloc | kWrite, 50},
    {".bss", kNobits, kAlloc | kWrite, 4096},
    {".symtab", kSymtab, 0, 700},
    {".rela.text", 4, 0x40, 900},
};

// .modinfo is ALLOC too: "name=sized\0" is 11 bytes.
constexpr std::uint64_t kModuleBytes = 1000 + 200 + 300 + 50 + 4096 + 11;
constexpr std::uint64_t kTextBytes = 1200;

}  // namespace

static void kernel_byte_rules(void**) {
    // becoming: decompressed length, + compressed when the kernel decompressed.
    auto c = duplicate_cost(KernelStage::Becoming, 300, 1000, false, true);
    assert_int_equal(c.alloc_bytes, 1000);
    assert_int_equal(c.read_bytes, 300);
    c = duplicate_cost(KernelStage::Becoming, 300, 1000, true, true);
    assert_int_equal(c.alloc_bytes, 1300);
    // load: twice the decompressed length, + compressed.
    c = duplicate_cost(KernelStage::Load, 300, 1000, false, true);
    assert_int_equal(c.alloc_bytes, 2000);
    c = duplicate_cost(KernelStage::Load, 300, 1000, true, true);
    assert_int_equal(c.alloc_bytes, 2300);
    // init_module copies the image, not the file.
    c = duplicate_cost(KernelStage::Load, 300, 1000, false, false);
    assert_int_equal(c.read_bytes, 1000);
}

static void duplicate_stage_follows_the_release(void**) {
    assert_int_equal(int(duplicate_stage("6.1.0-28-amd64")), int(KernelStage::Load));
    assert_int_equal(int(duplicate_stage("6.3.13")), int(KernelStage::Load));
    assert_int_equal(int(duplicate_stage("5.10.0-30-amd64")), int(KernelStage::Load));
    assert_int_equal(int(duplicate_stage("6.4.0")), int(KernelStage::Becoming));
    assert_int_equal(int(duplicate_stage("6.12.9+bpo-amd64")), int(KernelStage::Becoming));
    assert_int_equal(int(duplicate_stage("7.0")), int(KernelStage::Becoming));
    assert_int_equal(int(duplicate_stage("garbage")), int(KernelStage::Becoming));
    assert_int_equal(int(duplicate_stage("")), int(KernelStage::Becoming));
    assert_int_equal(int(duplicate_stage("6")), int(KernelStage::Becoming));
}

static void footprint_sums_alloc_and_exec_sections(void**) {
    const Bytes img = elf_with(kLayout);
    auto fp = footprint(img);
    assert_true(fp.has_value());
    assert_int_equal(fp->module_bytes, kModuleBytes);
    assert_int_equal(fp->text_bytes, kTextBytes);
    // Not ELF, or cut short: an error, never a figure.
    Bytes cut(img.begin(), img.begin() + 100);
    assert_false(footprint(cut).has_value());
    assert_false(footprint(Bytes(200, std::byte{'x'})).has_value());
}

static void footprint_of_files_any_format_is_the_same(void**) {
    ScratchDir dir;
    const Bytes img = elf_with(kLayout);
    for (Compression c : {Compression::None, Compression::Gzip, Compression::Xz, Compression::Zstd}) {
        const std::string path = put(dir, "m" + std::to_string(int(c)) + ".ko", compress(c, img));
        auto fp = footprint_of_file(path);
        assert_true(fp.has_value());
        assert_int_equal(fp->module_bytes, kModuleBytes);
        assert_int_equal(fp->text_bytes, kTextBytes);
    }
    assert_int_equal(footprint_of_file(dir.str() + "/missing.ko").error().code, ENOENT);
    const std::string empty = put(dir, "empty.ko", {});
    assert_false(footprint_of_file(empty).has_value());
    // A decompressed image over the bound is not decompressed for stats.
    const std::string big = put(dir, "big.ko.xz", xz(img));
    assert_false(footprint_of_file(big, 100).has_value());
}

static void file_facts_and_what_a_duplicate_would_cost(void**) {
    ScratchDir dir;
    FakeKernel k;
    const Bytes img = elf_with(kLayout);
    const std::string plain = put(dir, "p.ko", img);
    auto f = file_facts(k, plain);
    assert_true(f.has_value());
    assert_int_equal(int(f->format), int(Compression::None));
    assert_int_equal(f->file_bytes, img.size());
    assert_int_equal(f->image_bytes, img.size());
    auto c = duplicate_cost_of(*f, KernelStage::Becoming);
    assert_int_equal(c.read_bytes, img.size());
    assert_int_equal(c.alloc_bytes, img.size());

    const Bytes packed = xz(img);
    const std::string xzpath = put(dir, "p.ko.xz", packed);
    // Decompressed by kmodx: init_module copies the image.
    f = file_facts(k, xzpath);
    assert_int_equal(f->file_bytes, packed.size());
    assert_int_equal(f->image_bytes, img.size());
    assert_false(f->kernel_decompresses);
    c = duplicate_cost_of(*f, KernelStage::Load);
    assert_int_equal(c.read_bytes, img.size());
    assert_int_equal(c.alloc_bytes, 2 * img.size());
    // Decompressed by the kernel: it reads the file and counts it too.
    k.kernel_compression = Compression::Xz;
    f = file_facts(k, xzpath);
    assert_true(f->kernel_decompresses);
    c = duplicate_cost_of(*f, KernelStage::Load);
    assert_int_equal(c.read_bytes, packed.size());
    assert_int_equal(c.alloc_bytes, 2 * img.size() + packed.size());
    assert_false(file_facts(k, dir.str() + "/none.ko").has_value());
}

static void taint_from_proc_modules(void**) {
    const std::string text =
        "vbox 4096 0 - Live 0xffffffffc0000000 (OE)\n"
        "vboxdrv 8192 1 vbox, Live 0xffffffffc0100000 (POE) \n"
        "nvme 4096 0 - Live 0xffffffffc0200000\n"
        "nvme_core 4096 1 nvme, Live 0x0000000000000000\n";
    assert_string_equal(taint_of(text, "vbox").c_str(), "OE");
    assert_string_equal(taint_of(text, "vboxdrv").c_str(), "POE");
    assert_string_equal(taint_of(text, "nvme").c_str(), "");
    assert_string_equal(taint_of(text, "nvme_core").c_str(), "");
    assert_string_equal(taint_of(text, "vbo").c_str(), "");
    assert_string_equal(taint_of("", "vbox").c_str(), "");
}

static void module_names_of_files(void**) {
    assert_string_equal(module_name_of_file("/lib/modules/x/kernel/nvme-core.ko.xz").c_str(), "nvme_core");
    assert_string_equal(module_name_of_file("t10-pi.ko").c_str(), "t10_pi");
    assert_string_equal(module_name_of_file("./dir.d/foo").c_str(), "foo");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kernel_byte_rules),
        cmocka_unit_test(duplicate_stage_follows_the_release),
        cmocka_unit_test(footprint_sums_alloc_and_exec_sections),
        cmocka_unit_test(footprint_of_files_any_format_is_the_same),
        cmocka_unit_test(file_facts_and_what_a_duplicate_would_cost),
        cmocka_unit_test(taint_from_proc_modules),
        cmocka_unit_test(module_names_of_files),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
