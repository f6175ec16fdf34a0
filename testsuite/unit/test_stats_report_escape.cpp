// SPDX-License-Identifier: LGPL-2.1-or-later
// The reports and what the store's strings and counts may hold: JSON and
// Prometheus escaping, control bytes in every string of every format, and
// forged counts that saturate.
#include <kmodx/stats_report.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "report_lines.hpp"

#include "cmocka.hpp"

using namespace kmodx::stats;
using kmodx::Compression;
using test::lines;

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
const std::string kEvilReason =
    "why\xc2\x9b"
    "1m\xff\x01";

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
    ev(Outcome::Loaded).syscall_ns = 1000;            // slowest loads
    ev(Outcome::Suppressed).kernel_alloc_bytes = 10;  // suppressed, parents
    Event& dup = ev(Outcome::DuplicateInKernel);      // the debugfs table
    dup.err = EEXIST;
    dup.image_bytes = 10;
    dup.kernel_alloc_bytes = 10;
    ev(Outcome::FailedKernel).err = ENOENT;   // failures
    ev(Outcome::Removed).taint = kEvilTaint;  // tainted unloads
    Event& deg = ev(Outcome::Loaded);         // degraded runs
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
    assert_non_null(std::strstr(
        text.c_str(), (std::string("   ") + module + "\t              1\t                 Becoming\n").c_str()));
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
        ev(Outcome::FailedKernel, kHalf).err = ENOENT;  // load stage: 2 x image
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
                                "                    Total\t18446744073709551615\t              "
                                "0\t18446744073709551615\t18446744073709551615\n"));
    assert_non_null(std::strstr(text.c_str(), "udev parents: x (18446744073709551615)\n"));

    std::string json = render_json(s);
    assert_non_null(std::strstr(json.c_str(), "\"events\":18446744073709551615,"));
    assert_non_null(std::strstr(json.c_str(), "\"virtual_mem_wasted_bytes\":18446744073709551615,"));
    assert_non_null(std::strstr(json.c_str(), "\"total_ns\":18446744073709551615,"));

    std::string prom = render_prometheus(s);
    assert_non_null(std::strstr(prom.c_str(), "kmodx_module_events_total{outcome=\"loaded\"} 18446744073709551615\n"));
    assert_non_null(std::strstr(prom.c_str(), "kmodx_requests_total{requester=\"udev\"} 18446744073709551615\n"));
    assert_non_null(std::strstr(
        prom.c_str(), "kmodx_debugfs_failed_bytes_total{source=\"kmodx\",stage=\"load\"} 18446744073709551615\n"));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_escapes_every_string),
        cmocka_unit_test(prometheus_escapes_labels_and_names_counters_total),
        cmocka_unit_test(reports_escape_control_bytes_in_every_string),
        cmocka_unit_test(forged_counts_saturate_in_every_format),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
