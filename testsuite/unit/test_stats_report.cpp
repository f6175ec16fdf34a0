// SPDX-License-Identifier: LGPL-2.1-or-later
// The report side of the stats store: the kernel's debugfs section against
// the real output in the module stats commit (8-CPU boot, padding collapsed
// there), its averages and duplicate table, and the errno-to-stage rules
// (kmodx's own aggregates: test_stats_summary; escaping:
// test_stats_report_escape; the command line: test_stats_options).
#include <kmodx/stats_report.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "report_lines.hpp"

#include "cmocka.hpp"

using namespace kmodx::stats;
using kmodx::Compression;
using test::lines;

namespace {

// The 8-CPU boot in the commit message that added the kernel's module stats
// (runs of blanks collapsed to one space). The kernel's header says
// "Module-name" (kernel/module/stats.c); the commit message's copy predates it.
const char* const kSeed =
    "Mods ever loaded 67\n"
    "Mods failed on kread 0\n"
    "Mods failed on decompress 0\n"
    "Mods failed on becoming 83\n"
    "Mods failed on load 16\n"
    "Total module size 11464704\n"
    "Total mod text size 4194304\n"
    "Failed kread bytes 0\n"
    "Failed decompress bytes 0\n"
    "Failed becoming bytes 228959096\n"
    "Failed kmod bytes 8578080\n"
    "Virtual mem wasted bytes 237537176\n"
    "Average mod size 171115\n"
    "Average mod text size 62602\n"
    "Avg fail becoming bytes 2758544\n"
    "Average fail load bytes 536130\n"
    "Duplicate failed modules:\n"
    "Module-name How-many-times Reason\n"
    "kvm_intel 7 Becoming\n"
    "kvm 7 Becoming\n"
    "irqbypass 6 Becoming & Load\n"
    "crct10dif_pclmul 7 Becoming & Load\n"
    "ghash_clmulni_intel 7 Becoming & Load\n"
    "sha512_ssse3 6 Becoming & Load\n"
    "sha512_generic 7 Becoming & Load\n"
    "aesni_intel 7 Becoming\n"
    "crypto_simd 7 Becoming & Load\n"
    "cryptd 3 Becoming & Load\n"
    "evdev 1 Becoming\n"
    "serio_raw 1 Becoming\n"
    "nvme 3 Becoming\n"
    "nvme_core 3 Becoming\n"
    "t10_pi 3 Becoming\n"
    "virtio_pci 3 Becoming\n"
    "crc32_pclmul 6 Becoming & Load\n"
    "crc64_rocksoft 3 Becoming\n"
    "crc32c_intel 3 Becoming\n"
    "virtio_pci_modern_dev 2 Becoming\n"
    "virtio_pci_legacy_dev 1 Becoming\n"
    "crc64 2 Becoming\n"
    "virtio 2 Becoming\n"
    "virtio_ring 2 Becoming\n";

std::string collapse(const std::string& l) {
    std::string out;
    for (char c : l) {
        bool blank = c == ' ' || c == '\t';
        if (blank && (out.empty() || out.back() == ' ')) continue;
        out += blank ? ' ' : c;
    }
    if (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

Event duplicate(const std::string& module, std::int64_t t, int err, std::uint64_t image, bool load) {
    Event e;
    e.module = module;
    e.time_ns = t;
    e.outcome = Outcome::DuplicateInKernel;
    e.err = err;
    e.image_bytes = image;
    e.file_bytes = image;
    e.kernel_read_bytes = image;
    e.kernel_alloc_bytes = load ? 2 * image : image;  // costs.hpp's rule
    return e;
}

// Events that make the seed's figures: 67 loads (one compacted record), 83
// duplicates found before allocation and 16 after, spread over the table's
// modules so that their first duplicates come in the table's reverse order.
std::vector<Event> seed_events() {
    std::vector<Event> ev;
    Event loaded;
    loaded.module = "many";
    loaded.outcome = Outcome::Loaded;
    loaded.count = 67;
    loaded.module_bytes = 11464704;
    loaded.text_bytes = 4194304;
    ev.push_back(loaded);

    struct Row {
        const char* name;
        int count;
        bool both;
    };
    const Row rows[] = {
        {"kvm_intel", 7, false},
        {"kvm", 7, false},
        {"irqbypass", 6, true},
        {"crct10dif_pclmul", 7, true},
        {"ghash_clmulni_intel", 7, true},
        {"sha512_ssse3", 6, true},
        {"sha512_generic", 7, true},
        {"aesni_intel", 7, false},
        {"crypto_simd", 7, true},
        {"cryptd", 3, true},
        {"evdev", 1, false},
        {"serio_raw", 1, false},
        {"nvme", 3, false},
        {"nvme_core", 3, false},
        {"t10_pi", 3, false},
        {"virtio_pci", 3, false},
        {"crc32_pclmul", 6, true},
        {"crc64_rocksoft", 3, false},
        {"crc32c_intel", 3, false},
        {"virtio_pci_modern_dev", 2, false},
        {"virtio_pci_legacy_dev", 1, false},
        {"crc64", 2, false},
        {"virtio", 2, false},
        {"virtio_ring", 2, false},
    };
    const std::int64_t n = std::size(rows);
    int becoming_left = 83;
    for (std::int64_t i = 0; i < n; ++i) {
        const Row& r = rows[i];
        // The kernel lists newest first: the first row's first duplicate is the latest.
        std::int64_t first = (n - i) * 1000;
        int loads = r.both ? 2 : 0;  // 8 rows x 2 = 16 failed on load
        for (int k = 0; k < r.count; ++k) {
            bool load = k < loads;
            // 8578080 / 16 = 536130 per load failure (2 x 268065).
            std::uint64_t image = load ? 268065 : 2758543;
            if (!load && --becoming_left == 0) image = 228959096 - 82ull * 2758543;
            // Later duplicates of a module come after every row's first one.
            ev.push_back(duplicate(r.name, k == 0 ? first : 100000 + k, k % 2 ? EBUSY : EEXIST, image, load));
        }
    }
    return ev;
}

}  // namespace

static void debugfs_matches_the_seed_line_for_line(void**) {
    const std::string out = format_debugfs(debugfs_from_events(seed_events()));
    auto got = lines(out);
    auto want = lines(kSeed);
    assert_int_equal(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (collapse(got[i]) != want[i])
            fail_msg("line %zu: got '%s', want '%s'", i + 1, got[i].c_str(), want[i].c_str());
    }
    assert_true(out.ends_with("\n"));
}

static void debugfs_columns_are_the_kernels_printf_widths(void**) {
    auto got = lines(format_debugfs(debugfs_from_events(seed_events())));
    bool table = false;
    for (const auto& l : got) {
        if (l == "Duplicate failed modules:") {
            table = true;
            continue;
        }
        auto tab = l.find('\t');
        assert_int_not_equal(tab, std::string::npos);
        // %25s: the label right-aligned in exactly 25 columns before the TAB.
        assert_int_equal(tab, 25);
        assert_true(l[0] == ' ' || l[24] != ' ');
        if (!table) {
            assert_int_equal(l.find('\t', tab + 1), std::string::npos);
            continue;
        }
        // "%25s\t%15lu\t%25s"
        auto tab2 = l.find('\t', tab + 1);
        assert_int_equal(tab2 - tab - 1, 15);
        assert_int_equal(l.size() - tab2 - 1, 25);
    }
    assert_true(table);
    assert_string_equal(got[0].c_str(), "         Mods ever loaded\t67");
    assert_string_equal(got[2].c_str(), "Mods failed on decompress\t0");
    assert_string_equal(got[17].c_str(), "              Module-name\t How-many-times\t                   Reason");
    assert_string_equal(got[20].c_str(), "                irqbypass\t              6\t          Becoming & Load");
}

static void debugfs_averages_round_up_and_appear_only_when_nonzero(void**) {
    DebugfsStats s;
    s.loaded = 3;
    s.total_size = 10;  // 3.33 -> 4
    s.text_size = 0;    // no "Average mod text size"
    s.failed_becoming = 2;
    s.becoming_bytes = 0;  // count without bytes: no average
    s.failed_load = 3;
    s.load_bytes = 7;  // 2.33 -> 3
    s.failed_kread = 0;
    s.kread_bytes = 0;
    s.failed_decompress = 4;
    s.decompress_bytes = 8;  // exactly 2
    std::string out = format_debugfs(s);
    assert_non_null(std::strstr(out.c_str(), "         Average mod size\t4\n"));
    assert_null(std::strstr(out.c_str(), "Average mod text size"));
    assert_null(std::strstr(out.c_str(), "Avg fail becoming bytes"));
    assert_null(std::strstr(out.c_str(), "Avg fail kread bytes"));
    assert_non_null(std::strstr(out.c_str(), "  Average fail load bytes\t3\n"));
    assert_non_null(std::strstr(out.c_str(), "    Avg fail decomp bytes\t2\n"));
    assert_non_null(std::strstr(out.c_str(), " Virtual mem wasted bytes\t15\n"));
    // The kernel's order: kread, becoming, decomp, load.
    assert_true(out.find("Avg fail decomp bytes") < out.find("Average fail load bytes"));
    assert_null(std::strstr(out.c_str(), "Duplicate failed modules:"));

    DebugfsStats empty;
    auto l = lines(format_debugfs(empty));
    assert_int_equal(l.size(), 12);  // the twelve fixed lines, nothing optional
}

static void debugfs_stage_follows_the_kernels_byte_rules(void**) {
    Event e = duplicate("a", 1, EEXIST, 1000, false);
    assert_int_equal(static_cast<int>(debugfs_stage(e)), static_cast<int>(DebugfsStage::Becoming));
    assert_int_equal(debugfs_wasted_bytes(e, debugfs_stage(e)), 1000);
    e = duplicate("a", 1, EBUSY, 1000, true);
    assert_int_equal(static_cast<int>(debugfs_stage(e)), static_cast<int>(DebugfsStage::Load));
    // Kernel decompression adds the compressed length to either stage.
    e.path = DecompressPath::Kernel;
    e.file_bytes = 300;
    e.kernel_alloc_bytes = 2 * 1000 + 300;
    assert_int_equal(static_cast<int>(debugfs_stage(e)), static_cast<int>(DebugfsStage::Load));
    assert_int_equal(debugfs_wasted_bytes(e, DebugfsStage::Load), 2300);

    // Failures the recorder did not charge: the formula from the sizes.
    Event f;
    f.outcome = Outcome::FailedKernel;
    f.err = ENOENT;  // unknown symbol: after allocation
    f.image_bytes = 500;
    f.file_bytes = 200;
    f.path = DecompressPath::Kernel;
    assert_int_equal(static_cast<int>(debugfs_stage(f)), static_cast<int>(DebugfsStage::Load));
    assert_int_equal(debugfs_wasted_bytes(f, DebugfsStage::Load), 1200);
    for (int err : {ENOEXEC, EKEYREJECTED, EBADMSG, EPERM}) {
        f.err = err;
        assert_int_equal(static_cast<int>(debugfs_stage(f)), static_cast<int>(DebugfsStage::Becoming));
        assert_int_equal(debugfs_wasted_bytes(f, DebugfsStage::Becoming), 700);
    }
    for (int err : {ENODEV, EOPNOTSUPP, EINVAL}) {  // the module's init failed
        f.err = err;
        assert_int_equal(static_cast<int>(debugfs_stage(f)), static_cast<int>(DebugfsStage::NotCounted));
    }
    Event ok;
    ok.outcome = Outcome::Suppressed;
    ok.err = EEXIST;
    assert_int_equal(static_cast<int>(debugfs_stage(ok)), static_cast<int>(DebugfsStage::NotCounted));
}

static void debugfs_counts_weight_compacted_records(void**) {
    std::vector<Event> ev;
    Event r;
    r.outcome = Outcome::FailedRead;
    r.count = 3;
    r.file_bytes = 30;
    ev.push_back(r);
    Event d;
    d.outcome = Outcome::FailedDecompress;
    d.count = 2;
    d.file_bytes = 50;
    ev.push_back(d);
    Event dup = duplicate("x", 5, EEXIST, 10, false);
    dup.count = 4;
    dup.kernel_alloc_bytes = 40;  // a compacted record: sums
    ev.push_back(dup);
    Event init;
    init.module = "y";
    init.outcome = Outcome::FailedKernel;
    init.err = ENODEV;
    init.image_bytes = 99;
    ev.push_back(init);
    Event enoent;
    enoent.module = "z";
    enoent.outcome = Outcome::FailedKernel;
    enoent.err = ENOENT;
    enoent.image_bytes = 10;
    ev.push_back(enoent);

    DebugfsStats s = debugfs_from_events(ev);
    assert_int_equal(s.failed_kread, 3);
    assert_int_equal(s.kread_bytes, 30);
    assert_int_equal(s.failed_decompress, 2);
    assert_int_equal(s.decompress_bytes, 50);
    assert_int_equal(s.failed_becoming, 4);
    assert_int_equal(s.becoming_bytes, 40);
    assert_int_equal(s.failed_load, 1);
    assert_int_equal(s.load_bytes, 20);
    // Only EEXIST/EBUSY make the duplicate table; an init failure counts nowhere.
    assert_int_equal(s.duplicates.size(), 1);
    assert_string_equal(s.duplicates[0].module.c_str(), "x");
    assert_int_equal(s.duplicates[0].count, 4);
    assert_int_equal(s.wasted_bytes(), 30 + 50 + 40 + 20);
}

static void debugfs_parses_back_and_reads_the_seed(void**) {
    DebugfsStats s = debugfs_from_events(seed_events());
    auto p = parse_debugfs(format_debugfs(s));
    assert_true(p.has_value());
    assert_int_equal(p->loaded, 67);
    assert_int_equal(p->becoming_bytes, 228959096);
    assert_int_equal(p->load_bytes, 8578080);
    assert_int_equal(p->duplicates.size(), 24);
    assert_string_equal(p->duplicates[2].module.c_str(), "irqbypass");
    assert_true(p->duplicates[2].becoming && p->duplicates[2].load);
    assert_true(p->duplicates[0].becoming && !p->duplicates[0].load);

    auto seed = parse_debugfs(kSeed);  // collapsed padding reads the same
    assert_true(seed.has_value());
    assert_int_equal(seed->failed_becoming, 83);
    assert_int_equal(seed->wasted_bytes(), 237537176);
    assert_int_equal(seed->duplicates.size(), 24);
    assert_int_equal(seed->duplicates[23].count, 2);

    assert_false(parse_debugfs("hello world\n").has_value());
    assert_false(parse_debugfs("").has_value());
    assert_false(parse_debugfs("Mods ever loaded x\n").has_value());
    assert_false(read_kernel_debugfs("/nonexistent/stats").has_value());

    // The kernel's file, read through the same function modprobe --stats uses.
    char path[] = "/tmp/kmodx-debugfs-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    std::string text = format_debugfs(s);
    assert_int_equal(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    auto k = read_kernel_debugfs(path);
    unlink(path);
    assert_true(k.has_value());
    assert_int_equal(k->failed_load, 16);
    assert_int_equal(k->duplicates.size(), 24);
}

static void debugfs_table_stops_where_the_kernels_buffer_does(void**) {
    std::vector<Event> ev;
    for (int i = 0; i < 150; ++i) ev.push_back(duplicate("m" + std::to_string(i), i, EEXIST, 10, false));
    auto l = lines(format_debugfs(debugfs_from_events(ev)));
    // 12 fixed + Avg fail becoming + "Duplicate failed modules:" + header + 111 rows.
    assert_int_equal(l.size(), 12 + 1 + 2 + 111);
    assert_string_equal(collapse(l[15]).c_str(), "m149 1 Becoming");  // newest first
    assert_string_equal(collapse(l.back()).c_str(), "m39 1 Becoming");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(debugfs_matches_the_seed_line_for_line),
        cmocka_unit_test(debugfs_columns_are_the_kernels_printf_widths),
        cmocka_unit_test(debugfs_averages_round_up_and_appear_only_when_nonzero),
        cmocka_unit_test(debugfs_stage_follows_the_kernels_byte_rules),
        cmocka_unit_test(debugfs_counts_weight_compacted_records),
        cmocka_unit_test(debugfs_parses_back_and_reads_the_seed),
        cmocka_unit_test(debugfs_table_stops_where_the_kernels_buffer_does),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
