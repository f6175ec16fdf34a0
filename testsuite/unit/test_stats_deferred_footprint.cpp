// SPDX-License-Identifier: LGPL-2.1-or-later
// A module the kernel decompressed is recorded without its footprint, which
// the report and the archive fill in from the module file later: the same
// figures the load would have computed, never on the load path.
#include "stats/deferred_footprint.hpp"
#include "stats/footprint.hpp"
#include "stats/load_event.hpp"
#include "stats/store_impl.hpp"

#include <kmodx/stats.hpp>

#include "fake_kernel.hpp"
#include "index_builder.hpp"
#include "test_elf.hpp"
#include "test_files.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cmocka.hpp"

using namespace kmodx;
using namespace kmodx::stats;
using namespace kmodx::test;

namespace {

constexpr const char* kBoot = "11111111-2222-3333-4444-555555555555";

const std::vector<ElfSection> kLayout = {
    {".text", kShtProgbits, kShfAlloc | kShfExec, 5000},
    {".init.text", kShtProgbits, kShfAlloc | kShfExec, 100},
    {".data", kShtProgbits, kShfAlloc | kShfWrite, 50},
    {".bss", kShtNobits, kShfAlloc | kShfWrite, 9000},
};

// A module directory with "p" as kernel/p.ko.xz in modules.dep.bin; returns
// the compressed file's size.
std::uint64_t module_dir_with_p(const ScratchDir& dir, const Bytes& image) {
    dir.mkdir("kernel");
    const Bytes packed = xz(image);
    put(dir, "kernel/p.ko.xz", packed);
    IndexBuilder b;
    b.add("p", "kernel/p.ko.xz:");
    const auto index = b.image();
    std::ofstream(dir.str() + "/modules.dep.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(index.data()), static_cast<std::streamsize>(index.size()));
    return packed.size();
}

Event deferred_load(std::uint64_t file_bytes, std::uint64_t count = 1) {
    Event e;
    e.boot_id = kBoot;
    e.module = "p";
    e.tool = "modprobe";
    e.outcome = Outcome::Loaded;
    e.format = Compression::Xz;
    e.path = DecompressPath::Kernel;
    e.file_bytes = file_bytes;
    e.count = count;
    return e;
}

}  // namespace

// The load itself: no footprint when the kernel decompressed, as before when
// it did not.
static void a_load_the_kernel_decompressed_is_sized_later(void**) {
    ScratchDir dir;
    FakeKernel k;
    const Bytes image = elf_with(kLayout, "p");
    const std::uint64_t file_bytes = module_dir_with_p(dir, image);
    LoadFacts f;
    f.tool = "modprobe";
    f.module = "p";
    f.path = dir.str() + "/kernel/p.ko.xz";
    f.attempted = true;
    f.report.syscall = LoadSyscall::FinitModule;
    f.report.format = Compression::Xz;
    f.report.kernel_decompressed = true;
    f.report.file_bytes = file_bytes;
    Event e = load_event(k, f);
    assert_int_equal(int(e.outcome), int(Outcome::Loaded));
    assert_int_equal(int(e.path), int(DecompressPath::Kernel));
    assert_int_equal(e.module_bytes, 0);
    assert_true(footprint_deferred(e));
    // Decompressed in userspace: sized at once, as before.
    f.report.kernel_decompressed = false;
    f.report.syscall = LoadSyscall::InitModule;
    e = load_event(k, f);
    assert_int_equal(int(e.path), int(DecompressPath::Userspace));
    auto fp = footprint(std::span<const std::byte>(reinterpret_cast<const std::byte*>(image.data()), image.size()));
    assert_true(fp.has_value());
    assert_int_equal(e.module_bytes, fp->module_bytes);
    assert_false(footprint_deferred(e));
}

// Filled in from the file modules.dep names: the figures the load would have
// computed, COUNT times for a compacted record; left alone when the file is
// missing or is not the one loaded (another size).
static void deferred_footprints_filled_from_the_module_file(void**) {
    ScratchDir dir;
    const Bytes image = elf_with(kLayout, "p");
    const std::uint64_t file_bytes = module_dir_with_p(dir, image);
    auto fp = footprint(std::span<const std::byte>(reinterpret_cast<const std::byte*>(image.data()), image.size()));
    assert_true(fp.has_value() && fp->module_bytes > 0 && fp->text_bytes > 0);

    std::vector<Event> events{deferred_load(file_bytes), deferred_load(file_bytes, 3), deferred_load(file_bytes + 1)};
    Event other = deferred_load(file_bytes);
    other.module = "q";  // not in modules.dep
    events.push_back(other);
    Event sized = deferred_load(file_bytes);
    sized.module_bytes = 7;  // already known: untouched
    events.push_back(sized);
    Event elsewhere = deferred_load(file_bytes);
    elsewhere.path = DecompressPath::Userspace;  // not the kernel's: never deferred
    events.push_back(elsewhere);

    fill_deferred_footprints(events, dir.str());
    assert_int_equal(events[0].module_bytes, fp->module_bytes);
    assert_int_equal(events[0].text_bytes, fp->text_bytes);
    assert_int_equal(events[1].module_bytes, 3 * fp->module_bytes);
    assert_int_equal(events[1].text_bytes, 3 * fp->text_bytes);
    assert_int_equal(events[2].module_bytes, 0);  // another file now
    assert_true(footprint_deferred(events[2]));
    assert_int_equal(events[3].module_bytes, 0);
    assert_int_equal(events[4].module_bytes, 7);
    assert_int_equal(events[5].module_bytes, 0);
    // No module directory: nothing to fill from.
    std::vector<Event> none{deferred_load(file_bytes)};
    fill_deferred_footprints(none, "");
    assert_true(footprint_deferred(none[0]));
    fill_deferred_footprints(none, dir.str() + "/missing");
    assert_true(footprint_deferred(none[0]));
}

// Compaction keeps loads still to be sized apart from sized ones, so a total
// is COUNT loads of one file or already summed, never half of each.
static void compaction_keeps_deferred_loads_apart(void**) {
    Event sized = deferred_load(100);
    sized.module_bytes = 8192;
    sized.text_bytes = 4096;
    const std::vector<Event> events{deferred_load(100), sized, deferred_load(100)};
    const auto out = store::compact(events, {200, 200, 200}, 0);
    assert_int_equal(out.size(), 2);
    assert_true(footprint_deferred(out[0]));
    assert_int_equal(out[0].count, 2);
    assert_int_equal(out[1].module_bytes, 8192);
    assert_int_equal(out[1].count, 1);
}

// The archive of this boot carries the footprints filled in; the runtime
// store keeps what the loads recorded.
static void the_archive_fills_in_deferred_footprints(void**) {
    ScratchDir dir;
    ScratchDir modules;
    const Bytes image = elf_with(kLayout, "p");
    const std::uint64_t file_bytes = module_dir_with_p(modules, image);
    auto fp = footprint(std::span<const std::byte>(reinterpret_cast<const std::byte*>(image.data()), image.size()));
    assert_true(fp.has_value());
    if (::geteuid() != 0) skip();  // the store's directories are root's
    StoreSettings s;
    s.runtime_dir = dir.str() + "/run";
    s.state_dir = dir.str() + "/state";
    s.boot_id = kBoot;
    s.module_dir = modules.str();
    Event other = deferred_load(file_bytes);
    other.module = "q";
    const std::vector<Event> events{deferred_load(file_bytes), other};
    assert_true(Store(s).append(events).has_value());
    assert_true(Store(s).archive().has_value());

    StoreSettings next = s;
    next.boot_id = "99999999-2222-3333-4444-555555555555";
    auto archived = Store(next).read(-1);
    assert_true(archived.has_value());
    assert_int_equal(archived->events.size(), 2);
    assert_int_equal(archived->skipped, 0);
    assert_int_equal(archived->events[0].module_bytes, fp->module_bytes);
    assert_int_equal(archived->events[0].text_bytes, fp->text_bytes);
    assert_true(footprint_deferred(archived->events[1]));  // q: no file to size it by
    auto current = Store(s).read(0);
    assert_true(current.has_value());
    assert_true(footprint_deferred(current->events[0]));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_load_the_kernel_decompressed_is_sized_later),
        cmocka_unit_test(deferred_footprints_filled_from_the_module_file),
        cmocka_unit_test(compaction_keeps_deferred_loads_apart),
        cmocka_unit_test(the_archive_fills_in_deferred_footprints),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
