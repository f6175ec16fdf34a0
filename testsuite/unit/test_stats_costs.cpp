// SPDX-License-Identifier: LGPL-2.1-or-later
#include "stats/costs.hpp"
#include "stats/load_event.hpp"

#include <kmodx/module_name.hpp>

#include "fake_kernel.hpp"
#include "test_elf.hpp"
#include "test_files.hpp"

#include <cerrno>
#include <cstring>

#include "cmocka.hpp"

using namespace kmodx;
using namespace kmodx::stats;
using namespace kmodx::test;

namespace {

const std::vector<ElfSection> kLayout = {
    {".text", kShtProgbits, kShfAlloc | kShfExec, 1000},
    {".data", kShtProgbits, kShfAlloc | kShfWrite, 50},
    {".bss", kShtNobits, kShfAlloc | kShfWrite, 4096},
};

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

static void a_load_keeps_the_instance_it_formed(void**) {
    ScratchDir dir;
    FakeKernel k;
    const std::string path = put(dir, "p.ko", elf_with(kLayout, "p"));
    LoadFacts f;
    f.tool = "modprobe";
    f.module = "p";
    f.path = path;
    f.attempted = true;
    k.instances["p"] = 42;
    Event e = load_event(k, f);
    assert_int_equal(int(e.outcome), int(Outcome::Loaded));
    assert_int_equal(e.instance, 42);
    assert_true(e.module_bytes > 0);
    // Gone again before we looked: the load still counts, unclaimed.
    k.instances.clear();
    e = load_event(k, f);
    assert_int_equal(int(e.outcome), int(Outcome::Loaded));
    assert_int_equal(e.instance, 0);
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
    assert_string_equal(canonical_module_name("crc32c-intel").c_str(), "crc32c_intel");
    assert_string_equal(canonical_module_name("a_b").c_str(), "a_b");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kernel_byte_rules),
        cmocka_unit_test(duplicate_stage_follows_the_release),
        cmocka_unit_test(file_facts_and_what_a_duplicate_would_cost),
        cmocka_unit_test(a_load_keeps_the_instance_it_formed),
        cmocka_unit_test(taint_from_proc_modules),
        cmocka_unit_test(module_names_of_files),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
