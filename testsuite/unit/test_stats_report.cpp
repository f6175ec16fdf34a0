// The report side of the stats store: the kernel's debugfs section against
// the real output in the module stats commit (8-CPU boot, padding collapsed
// there), its averages and duplicate table, the errno-to-stage rules, and
// kmodx's own aggregates and escaping.
#include <kmodx/stats_report.hpp>

#include <kmodx/modprobe_options.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "cmocka.hpp"

using namespace kmodx::stats;
using kmodx::Compression;

namespace {

// /work/shared/seeds/module-stats-commit.txt, the 8-CPU boot, as printed
// there (runs of blanks collapsed to one space). The kernel's header says
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

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

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
        {"kvm_intel", 7, false}, {"kvm", 7, false}, {"irqbypass", 6, true}, {"crct10dif_pclmul", 7, true},
        {"ghash_clmulni_intel", 7, true}, {"sha512_ssse3", 6, true}, {"sha512_generic", 7, true},
        {"aesni_intel", 7, false}, {"crypto_simd", 7, true}, {"cryptd", 3, true}, {"evdev", 1, false},
        {"serio_raw", 1, false}, {"nvme", 3, false}, {"nvme_core", 3, false}, {"t10_pi", 3, false},
        {"virtio_pci", 3, false}, {"crc32_pclmul", 6, true}, {"crc64_rocksoft", 3, false},
        {"crc32c_intel", 3, false}, {"virtio_pci_modern_dev", 2, false}, {"virtio_pci_legacy_dev", 1, false},
        {"crc64", 2, false}, {"virtio", 2, false}, {"virtio_ring", 2, false},
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
        if (collapse(got[i]) != want[i]) fail_msg("line %zu: got '%s', want '%s'", i + 1, got[i].c_str(), want[i].c_str());
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

static void summary_aggregates_by_module_requester_and_format(void**) {
    BootEvents b;
    b.boot_id = "0123";
    b.skipped = 2;
    b.torn_tail = true;
    auto ev = [&](const char* m, Outcome o, Requester r, const char* comm, std::uint64_t count = 1) {
        Event e;
        e.module = m;
        e.outcome = o;
        e.requester = r;
        e.parent_comm = comm;
        e.count = count;
        b.events.push_back(e);
        return &b.events.back();
    };
    ev("nvme", Outcome::Loaded, Requester::Udev, "(udev-worker)")->syscall_ns = 5'000'000;
    ev("nvme", Outcome::Suppressed, Requester::Udev, "(udev-worker)", 6)->kernel_alloc_bytes = 600;
    Event* cached = ev("nvme", Outcome::SuppressedFailure, Requester::Kernel, "kworker/u16:1");
    cached->kernel_alloc_bytes = 100;
    cached->err = ENODEV;
    ev("kvm", Outcome::DuplicateInKernel, Requester::Systemd, "systemd")->err = EBUSY;
    ev("kvm", Outcome::FailedKernel, Requester::Systemd, "systemd", 3)->err = EOPNOTSUPP;
    // Merged into another load by the kernel: a kernel duplicate, not a load.
    ev("nvme", Outcome::MergedInKernel, Requester::Systemd, "systemd");
    ev("loop", Outcome::Removed, Requester::User, "bash")->taint = "OE";
    ev("loop", Outcome::Removed, Requester::User, "bash")->taint = "OE";
    ev("xfs", Outcome::Removed, Requester::User, "bash");
    Event* z = ev("zst", Outcome::Loaded, Requester::User, "bash", 2);
    z->format = Compression::Zstd;
    z->path = DecompressPath::Userspace;
    z->file_bytes = 100;
    z->image_bytes = 400;
    z->decompress_ns = 4'000'000;
    z->syscall_ns = 20'000'000;  // 2 loads: 10 ms each
    Event* d = ev("dd", Outcome::Loaded, Requester::Other, "sh");
    d->degraded = kNoDedup | kLockTimedOut;
    d->degraded_reason = "read-only";

    Summary s = summarize(b, -1);
    assert_int_equal(s.boot, -1);
    assert_int_equal(s.records, b.events.size());
    assert_int_equal(s.events, 1 + 6 + 1 + 1 + 3 + 1 + 3 + 2 + 1);
    assert_int_equal(s.by_outcome[static_cast<int>(Outcome::MergedInKernel)], 1);
    assert_int_equal(s.by_outcome[static_cast<int>(Outcome::Suppressed)], 6);
    assert_int_equal(s.saved.size(), 1);
    assert_int_equal(s.saved[0].suppressed, 6);
    assert_int_equal(s.saved[0].suppressed_failure, 1);
    assert_int_equal(s.saved[0].alloc_bytes, 700);

    // Requester order; removals are not requests.
    assert_int_equal(s.requesters.size(), 5);
    assert_int_equal(static_cast<int>(s.requesters[0].requester), static_cast<int>(Requester::Kernel));
    const auto& udev = s.requesters[1];
    assert_int_equal(udev.requests, 7);
    assert_int_equal(udev.suppressed, 6);
    assert_string_equal(udev.parents[0].comm.c_str(), "(udev-worker)");
    const auto& sysd = s.requesters[2];
    assert_int_equal(sysd.kernel_duplicates, 2);
    assert_int_equal(sysd.failed, 3);
    assert_int_equal(s.requesters[3].requests, 2);  // user: the zstd loads only

    assert_int_equal(s.decompression.size(), 1);
    assert_int_equal(s.decompression[0].count, 2);
    assert_int_equal(s.decompression[0].bytes_out, 400);

    assert_string_equal(s.slowest[0].module.c_str(), "zst");
    assert_int_equal(s.slowest[0].total_ns(), 12'000'000);  // per load
    assert_string_equal(s.slowest[1].module.c_str(), "nvme");

    // kvm's two, and nvme's cached failure whose origin is not in the store.
    assert_int_equal(s.failures.size(), 3);
    assert_string_equal(s.failures[0].module.c_str(), "kvm");
    assert_int_equal(s.failures[0].count, 3);
    assert_int_equal(s.failures[0].err, EOPNOTSUPP);
    assert_string_equal(failure_message(Outcome::FailedKernel, ENOENT).c_str(),
                        "Unknown symbol in module, or unknown parameter (see dmesg)");
    assert_string_equal(errno_name(EBUSY).c_str(), "EBUSY");

    assert_int_equal(s.tainted.size(), 1);
    assert_int_equal(s.tainted[0].count, 2);
    assert_string_equal(s.tainted[0].taint.c_str(), "OE");

    assert_int_equal(s.degraded.size(), 1);
    assert_string_equal(degraded_names(s.degraded[0].bits).c_str(), "no_dedup,lock_timed_out");

    std::string text = render_text(s);
    assert_true(text.starts_with("         Mods ever loaded\t4\n"));
    assert_non_null(std::strstr(text.c_str(), "          Records skipped\t              2\n"));
    assert_non_null(std::strstr(text.c_str(), "Requests by requester:\n"));
    assert_non_null(std::strstr(text.c_str(), "udev parents: (udev-worker) (7)\n"));
    assert_non_null(std::strstr(text.c_str(), "Operation not supported\n"));
}

static void json_escapes_every_string(void**) {
    assert_string_equal(json_escape("a\"b\\c").c_str(), "a\\\"b\\\\c");
    assert_string_equal(json_escape("x\ny\t\x01").c_str(), "x\\ny\\t\\u0001");
    assert_string_equal(json_escape("caf\xc3\xa9").c_str(), "caf\xc3\xa9");
    assert_string_equal(json_escape("bad\xff").c_str(), "bad\xef\xbf\xbd");
    assert_string_equal(json_escape("\xc0\x80").c_str(), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong NUL

    BootEvents b;
    Event e;
    e.module = "m\"x";
    e.outcome = Outcome::FailedKernel;
    e.err = EINVAL;
    e.parent_comm = "we\\ird\n";
    b.events.push_back(e);
    std::string j = render_json(summarize(b, 0));
    assert_non_null(std::strstr(j.c_str(), "\"module\":\"m\\\"x\""));
    assert_non_null(std::strstr(j.c_str(), "\"comm\":\"we\\\\ird\\n\""));
    assert_non_null(std::strstr(j.c_str(), "\"kernel_debugfs\":null,"));
    assert_null(std::strstr(j.c_str(), ",,"));
    assert_null(std::strstr(j.c_str(), ",}"));
}

static void prometheus_escapes_labels_and_names_counters_total(void**) {
    assert_string_equal(prometheus_label_escape("a\\b\"c\nd").c_str(), "a\\\\b\\\"c\\nd");
    BootEvents b;
    Event e;
    e.module = "x";
    e.outcome = Outcome::Suppressed;
    e.parent_comm = "we\"ird";
    e.kernel_alloc_bytes = 42;
    b.events.push_back(e);
    std::string p = render_prometheus(summarize(b, 0));
    assert_non_null(std::strstr(p.c_str(), "kmodx_saved_bytes_total{module=\"x\"} 42\n"));
    assert_non_null(std::strstr(p.c_str(), "parent=\"we\\\"ird\"} 1\n"));
    for (const auto& l : lines(p)) {
        if (!l.starts_with("# TYPE ")) continue;
        bool counter = l.ends_with(" counter");
        auto name = l.substr(7, l.rfind(' ') - 7);
        if (counter != name.ends_with("_total")) fail_msg("%s", l.c_str());
    }
}

namespace {

// Strings a hostile or broken writer can put in a record: ESC sequences
// (clear screen, set the window title), BEL, DEL, a tab that would shift the
// columns, a C1 CSI in UTF-8, a byte that is not UTF-8.
const std::string kEvilModule = "evil\x1b[2J\x07\tmod";
const std::string kEvilComm = "c\x1b]0;owned\x07\t\x7f";
const std::string kEvilTaint = "O\x1b[31mE";
const std::string kEvilReason = "why\xc2\x9b" "1m\xff\x01";

BootEvents hostile_boot() {
    BootEvents b;
    b.boot_id = "0b0b0b0b-1111-2222-3333-444444444444";
    auto ev = [&](Outcome o) -> Event& {
        Event e;
        e.module = kEvilModule;
        e.outcome = o;
        e.requester = Requester::Udev;
        e.parent_comm = kEvilComm;
        b.events.push_back(e);
        return b.events.back();
    };
    ev(Outcome::Loaded).syscall_ns = 1000;                 // slowest loads
    ev(Outcome::Suppressed).kernel_alloc_bytes = 10;       // suppressed, parents
    Event& dup = ev(Outcome::DuplicateInKernel);           // the debugfs table
    dup.err = EEXIST;
    dup.image_bytes = 10;
    dup.kernel_alloc_bytes = 10;
    ev(Outcome::FailedKernel).err = ENOENT;                // failures
    ev(Outcome::Removed).taint = kEvilTaint;               // tainted unloads
    Event& deg = ev(Outcome::Loaded);                      // degraded runs
    deg.degraded = kNoDedup;
    deg.degraded_reason = kEvilReason;
    return b;
}

// The first byte a terminal could act on, or npos: C0 controls but those
// `allowed`, DEL, and UTF-8 C1 controls (C2 80..C2 9F).
std::size_t first_control(const std::string& out, std::string_view allowed) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        auto c = static_cast<unsigned char>(out[i]);
        if ((c < 0x20 && allowed.find(static_cast<char>(c)) == std::string_view::npos) || c == 0x7f) return i;
        if (c == 0xc2 && i + 1 < out.size() && static_cast<unsigned char>(out[i + 1]) < 0xa0) return i;
    }
    return std::string::npos;
}

void assert_no_control(const std::string& out, std::string_view allowed, const char* what) {
    std::size_t at = first_control(out, allowed);
    if (at != std::string::npos)
        fail_msg("%s: raw byte 0x%02x at %zu: ...%s", what, static_cast<unsigned char>(out[at]), at,
                 out.substr(at > 40 ? at - 40 : 0, 80).c_str());
}

}  // namespace

static void reports_escape_control_bytes_in_every_string(void**) {
    Summary s = summarize(hostile_boot(), 0);
    // Every section holds the strings (else the test proves nothing).
    assert_int_equal(s.slowest.size(), 2);
    assert_int_equal(s.debugfs.duplicates.size(), 1);
    assert_int_equal(s.tainted.size(), 1);
    assert_int_equal(s.degraded.size(), 1);

    // Text: the debugfs section and kmodx's; TAB is its column separator.
    std::string text = render_text(s);
    assert_no_control(text, "\n\t", "text");
    assert_no_control(format_debugfs(s.debugfs), "\n\t", "debugfs");
    const char* module = "evil\\x1b[2J\\x07\\x09mod";
    assert_non_null(std::strstr(text.c_str(), (std::string("   ") + module + "\t              1\t                 Becoming\n").c_str()));
    assert_non_null(std::strstr(text.c_str(), "udev parents: c\\x1b]0;owned\\x07\\x09\\x7f (5)\n"));
    assert_non_null(std::strstr(text.c_str(), "\t     O\\x1b[31mE\t"));
    assert_non_null(std::strstr(text.c_str(), "\twhy\\xc2\\x9b1m\\xff\\x01\n"));
    // A row keeps its table's column count: a raw tab in a name would add one.
    std::string header;
    for (const auto& l : lines(text)) {
        if (l.find(module) == std::string::npos) header = l;
        else assert_int_equal(std::count(l.begin(), l.end(), '\t'), std::count(header.begin(), header.end(), '\t'));
    }
    // An ordinary name is unchanged, a backslash doubled (so "\x1b" shown
    // can only mean the byte).
    BootEvents plain;
    Event e;
    e.module = "kvm_intel";
    e.parent_comm = "we\\ird";
    e.requester = Requester::User;
    e.outcome = Outcome::Loaded;
    plain.events.push_back(e);
    std::string ptext = render_text(summarize(plain, 0));
    assert_non_null(std::strstr(ptext.c_str(), "                kvm_intel\t"));
    assert_non_null(std::strstr(ptext.c_str(), "user parents: we\\\\ird (1)\n"));

    // Prometheus: the exposition format's escapes, other controls as \\xHH.
    std::string prom = render_prometheus(s);
    assert_no_control(prom, "\n", "prometheus");
    assert_non_null(std::strstr(prom.c_str(), "{module=\"evil\\\\x1b[2J\\\\x07\\\\x09mod\",kind=\"waited\"} 1\n"));
    assert_non_null(std::strstr(prom.c_str(), "parent=\"c\\\\x1b]0;owned\\\\x07\\\\x09\\\\x7f\"} 5\n"));
    assert_non_null(std::strstr(prom.c_str(), "taint=\"O\\\\x1b[31mE\"} 1\n"));
    assert_non_null(std::strstr(prom.c_str(), "reason=\"why\\\\xc2\\\\x9b1m\\\\xff\\\\x01\"} 1\n"));
    assert_string_equal(prometheus_label_escape("a\\b\"c\nd\x1b").c_str(), "a\\\\b\\\"c\\nd\\\\x1b");

    // JSON: \u00XX, the C1 CSI included.
    std::string json = render_json(s);
    assert_no_control(json, "\n", "json");
    assert_non_null(std::strstr(json.c_str(), "\"module\":\"evil\\u001b[2J\\u0007\\tmod\""));
    assert_non_null(std::strstr(json.c_str(), "\"reason\":\"why\\u009b1m\xef\xbf\xbd\\u0001\""));
}

static void forged_counts_saturate_in_every_format(void**) {
    constexpr std::uint64_t kMax = UINT64_MAX;
    constexpr std::uint64_t kHalf = 1ull << 63;
    BootEvents b;
    b.boot_id = "0b0b0b0b-1111-2222-3333-444444444444";
    auto ev = [&](Outcome o, std::uint64_t count) -> Event& {
        Event e;
        e.module = "forged";
        e.outcome = o;
        e.requester = Requester::Udev;
        e.parent_comm = "x";
        e.count = count;
        b.events.push_back(e);
        return b.events.back();
    };
    // Two records whose counts and sizes sum past 2^64 wrap to small numbers.
    for (int i = 0; i < 2; ++i) {
        Event& l = ev(Outcome::Loaded, kHalf + 1);
        l.module_bytes = kHalf + 1;
        l.text_bytes = kMax;
        l.format = Compression::Xz;
        l.path = DecompressPath::Userspace;
        l.file_bytes = kHalf;
        l.image_bytes = kHalf;
        l.decompress_ns = kHalf;
        Event& sup = ev(Outcome::Suppressed, kHalf);
        sup.kernel_read_bytes = kHalf;
        sup.kernel_alloc_bytes = kHalf;
        ev(Outcome::FailedKernel, kHalf).err = ENOENT;   // load stage: 2 x image
        b.events.back().image_bytes = kHalf;
        ev(Outcome::DuplicateInKernel, kHalf).err = EEXIST;
        b.events.back().kernel_alloc_bytes = kHalf;
        ev(Outcome::FailedRead, 3).file_bytes = kMax;
        ev(Outcome::Removed, kHalf).taint = "P";
        Event& d = ev(Outcome::AlreadyLive, kHalf);
        d.degraded = kNoDedup;
        d.degraded_reason = "r";
    }
    // One load whose four phases add past 2^64.
    Event& slow = ev(Outcome::Loaded, 1);
    slow.wait_ns = slow.read_ns = slow.decompress_ns = slow.syscall_ns = kHalf;

    Summary s = summarize(b, 0);
    assert_int_equal(s.events, kMax);
    assert_int_equal(s.by_outcome[static_cast<int>(Outcome::Loaded)], kMax);
    assert_int_equal(s.saved[0].suppressed, kMax);
    assert_int_equal(s.saved[0].read_bytes, kMax);
    assert_int_equal(s.saved[0].alloc_bytes, kMax);
    assert_int_equal(s.requesters[0].requests, kMax);
    assert_int_equal(s.requesters[0].loaded, kMax);
    assert_int_equal(s.requesters[0].already_live, kMax);
    assert_int_equal(s.requesters[0].suppressed, kMax);
    assert_int_equal(s.requesters[0].kernel_duplicates, kMax);
    assert_int_equal(s.requesters[0].failed, kMax);
    assert_int_equal(s.requesters[0].parents[0].requests, kMax);
    assert_int_equal(s.decompression[0].count, kMax);
    assert_int_equal(s.decompression[0].bytes_in, kMax);
    assert_int_equal(s.decompression[0].bytes_out, kMax);
    assert_int_equal(s.decompression[0].ns, kMax);
    assert_int_equal(s.slowest[0].total_ns(), kMax);
    for (const auto& f : s.failures) assert_int_equal(f.count, f.outcome == Outcome::FailedRead ? 6 : kMax);
    assert_int_equal(s.tainted[0].count, kMax);
    assert_int_equal(s.degraded[0].count, kMax);

    const DebugfsStats& d = s.debugfs;
    for (std::uint64_t v : {d.loaded, d.total_size, d.text_size, d.failed_load, d.load_bytes, d.failed_becoming,
                            d.becoming_bytes, d.kread_bytes, d.wasted_bytes(), d.duplicates[0].count})
        assert_int_equal(v, kMax);
    assert_int_equal(d.failed_kread, 6);

    // The debugfs section: u32 counts stop at UINT32_MAX, byte sums at
    // UINT64_MAX, averages are of those (saturated kread bytes over 6 kreads,
    // rounded up without wrapping).
    std::string text = render_text(s);
    assert_true(text.starts_with("         Mods ever loaded\t4294967295\n"));
    assert_non_null(std::strstr(text.c_str(), "      Mods failed on load\t4294967295\n"));
    assert_non_null(std::strstr(text.c_str(), "        Total module size\t18446744073709551615\n"));
    assert_non_null(std::strstr(text.c_str(), " Virtual mem wasted bytes\t18446744073709551615\n"));
    assert_non_null(std::strstr(text.c_str(), "     Avg fail kread bytes\t3074457345618258603\n"));
    assert_non_null(std::strstr(text.c_str(), "\t18446744073709551615\t                 Becoming\n"));
    assert_non_null(std::strstr(text.c_str(), "                   Events\t18446744073709551615\n"));
    assert_non_null(std::strstr(text.c_str(),
        "                    Total\t18446744073709551615\t              0\t18446744073709551615\t18446744073709551615\n"));
    assert_non_null(std::strstr(text.c_str(), "udev parents: x (18446744073709551615)\n"));

    std::string json = render_json(s);
    assert_non_null(std::strstr(json.c_str(), "\"events\":18446744073709551615,"));
    assert_non_null(std::strstr(json.c_str(), "\"virtual_mem_wasted_bytes\":18446744073709551615,"));
    assert_non_null(std::strstr(json.c_str(), "\"total_ns\":18446744073709551615,"));

    std::string prom = render_prometheus(s);
    assert_non_null(std::strstr(prom.c_str(), "kmodx_module_events_total{outcome=\"loaded\"} 18446744073709551615\n"));
    assert_non_null(std::strstr(prom.c_str(), "kmodx_requests_total{requester=\"udev\"} 18446744073709551615\n"));
    assert_non_null(std::strstr(prom.c_str(),
        "kmodx_debugfs_failed_bytes_total{source=\"kmodx\",stage=\"load\"} 18446744073709551615\n"));
}

namespace {

kmodx::modprobe::ParseOutcome parse(std::vector<std::string> args) {
    std::vector<char*> av;
    static std::string prog = "modprobe";
    av.push_back(prog.data());
    for (auto& a : args) av.push_back(a.data());
    av.push_back(nullptr);
    return kmodx::modprobe::parse_options(static_cast<int>(av.size() - 1), av.data(), nullptr);
}

}  // namespace

static void cli_stats_options_parse_and_refuse_bad_values(void**) {
    using kmodx::modprobe::Action;
    using kmodx::modprobe::StatsFormat;
    auto r = parse({"--stats"});
    assert_true(r.run);
    assert_int_equal(static_cast<int>(r.opts.action), static_cast<int>(Action::Stats));
    assert_int_equal(static_cast<int>(r.opts.stats_format), static_cast<int>(StatsFormat::Text));
    r = parse({"--stats=prometheus", "--boot", "-2"});
    assert_true(r.run);
    assert_int_equal(static_cast<int>(r.opts.stats_format), static_cast<int>(StatsFormat::Prometheus));
    assert_int_equal(r.opts.stats_boot, -2);
    r = parse({"-q", "--boot=-1", "--stats=json"});
    assert_true(r.run && r.opts.quiet);
    assert_int_equal(r.opts.stats_boot, -1);
    r = parse({"--stats-reset"});
    assert_int_equal(static_cast<int>(r.opts.action), static_cast<int>(Action::StatsReset));
    r = parse({"--stats-archive"});
    assert_int_equal(static_cast<int>(r.opts.action), static_cast<int>(Action::StatsArchive));

    for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
             {"--stats=xml"}, {"--stats="}, {"--stats", "--boot=1"}, {"--stats", "--boot=x"}, {"--stats", "--boot"},
             {"--boot=-1"}, {"--stats", "nvme"}, {"--stats", "--stats-reset"}, {"-r", "--stats"},
             {"--stats-reset", "--boot=-1"}}) {
        r = parse(bad);
        assert_false(r.run);
        assert_int_equal(r.status, 1);
        assert_true(r.error_before_log);
        // One line.
        assert_true(r.error.ends_with("\n"));
        assert_int_equal(r.error.find('\n'), r.error.size() - 1);
    }
}

static void cli_stats_options_leave_kmod_words_alone(void**) {
    using kmodx::modprobe::Action;
    // A value of kmod's -C is not an option; after "--" nothing is.
    auto r = parse({"-C", "--stats", "-c"});
    assert_true(r.run);
    assert_int_equal(static_cast<int>(r.opts.action), static_cast<int>(Action::ShowConfig));
    assert_int_equal(r.opts.config_paths.size(), 1);
    assert_string_equal(r.opts.config_paths[0].c_str(), "--stats");
    r = parse({"--conf", "--stats-reset", "-c"});  // a unique prefix of --config takes a value too
    assert_int_equal(static_cast<int>(r.opts.action), static_cast<int>(Action::ShowConfig));
    r = parse({"--", "--stats"});
    assert_true(r.run);
    assert_int_equal(static_cast<int>(r.opts.action), static_cast<int>(Action::Insert));
    assert_string_equal(r.opts.args[0].c_str(), "--stats");
    // Abbreviations stay what kmod makes of them: unknown options.
    for (const char* abbrev : {"--st", "--stat", "--b", "--boo=0", "--stats-r"}) {
        r = parse({abbrev});
        assert_false(r.run);
        assert_int_equal(r.status, 1);
        assert_true(r.error.empty());  // getopt said it
    }
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
        cmocka_unit_test(summary_aggregates_by_module_requester_and_format),
        cmocka_unit_test(json_escapes_every_string),
        cmocka_unit_test(prometheus_escapes_labels_and_names_counters_total),
        cmocka_unit_test(reports_escape_control_bytes_in_every_string),
        cmocka_unit_test(forged_counts_saturate_in_every_format),
        cmocka_unit_test(cli_stats_options_parse_and_refuse_bad_values),
        cmocka_unit_test(cli_stats_options_leave_kmod_words_alone),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
