// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/stats.hpp>

#include "core/crc32.hpp"
#include "stats/event.hpp"

#include <string>

#include "cmocka.hpp"

using namespace kmodx;
using namespace kmodx::stats;

namespace {

Event full_event() {
    Event e;
    e.time_ns = 1'732'377'600'123'456'789;
    e.boot_id = "285c4b11-06d0-4aa5-8bb6-ad4acf727315";
    e.module = "nvme_core";
    e.tool = "modprobe";
    e.pid = 4242;
    e.requester = Requester::Udev;
    e.parent_pid = 311;
    e.parent_comm = "tab\there\nnl\\bs\x01\x7f";
    e.outcome = Outcome::DuplicateInKernel;
    e.err = 17;
    e.holder_pid = 4100;
    e.degraded_reason = "group or world writable";
    e.degraded = kNoDedup | kLockTimedOut;
    e.format = Compression::Zstd;
    e.path = DecompressPath::Userspace;
    e.file_bytes = 123456;
    e.image_bytes = 456789;
    e.module_bytes = 300000;
    e.text_bytes = 120000;
    e.wait_ns = 1;
    e.read_ns = 2;
    e.decompress_ns = 3;
    e.syscall_ns = 18'446'744'073'709'551'615ull;
    e.kernel_read_bytes = 456789;
    e.kernel_alloc_bytes = 913578;
    e.taint = "OE";
    e.count = 7;
    return e;
}

void assert_same(const Event& a, const Event& b) {
    assert_int_equal(a.time_ns, b.time_ns);
    assert_string_equal(a.boot_id.c_str(), b.boot_id.c_str());
    assert_string_equal(a.module.c_str(), b.module.c_str());
    assert_string_equal(a.tool.c_str(), b.tool.c_str());
    assert_int_equal(a.pid, b.pid);
    assert_int_equal(static_cast<int>(a.requester), static_cast<int>(b.requester));
    assert_int_equal(a.parent_pid, b.parent_pid);
    assert_true(a.parent_comm == b.parent_comm);
    assert_int_equal(static_cast<int>(a.outcome), static_cast<int>(b.outcome));
    assert_int_equal(a.err, b.err);
    assert_int_equal(a.holder_pid, b.holder_pid);
    assert_string_equal(a.degraded_reason.c_str(), b.degraded_reason.c_str());
    assert_int_equal(a.degraded, b.degraded);
    assert_int_equal(static_cast<int>(a.format), static_cast<int>(b.format));
    assert_int_equal(static_cast<int>(a.path), static_cast<int>(b.path));
    assert_true(a.file_bytes == b.file_bytes && a.image_bytes == b.image_bytes);
    assert_true(a.module_bytes == b.module_bytes && a.text_bytes == b.text_bytes);
    assert_true(a.wait_ns == b.wait_ns && a.read_ns == b.read_ns);
    assert_true(a.decompress_ns == b.decompress_ns && a.syscall_ns == b.syscall_ns);
    assert_true(a.kernel_read_bytes == b.kernel_read_bytes && a.kernel_alloc_bytes == b.kernel_alloc_bytes);
    assert_string_equal(a.taint.c_str(), b.taint.c_str());
    assert_true(a.count == b.count);
    assert_true(a.device == b.device);
    assert_true(a.seqnum == b.seqnum);
    assert_true(a.modalias == b.modalias);
}

std::size_t tabs_in(const std::string& l) {
    std::size_t n = 0;
    for (char c : l) n += c == '\t';
    return n;
}

// Re-signs a line whose body was edited, so only the edit can make it fail.
std::string resign(std::string body) {
    char crc[16];
    std::snprintf(crc, sizeof crc, "\t%08x\n", kmodx::crc32(body));
    return body + crc;
}

std::string body_of(const std::string& l) { return l.substr(0, l.rfind('\t')); }

}  // namespace

static void roundtrip_keeps_every_field(void**) {
    Event e = full_event();
    std::string l = encode(e);
    auto back = decode(l);
    assert_true(back.has_value());
    assert_same(e, *back);
    // Defaults too.
    auto d = decode(encode(Event{}));
    assert_true(d.has_value());
    assert_same(Event{}, *d);
}

static void one_line_with_escaped_strings(void**) {
    std::string l = encode(full_event());
    assert_true(l.ends_with('\n'));
    assert_int_equal(l.find('\n'), l.size() - 1);
    std::size_t tabs = 0;
    for (char c : l) tabs += c == '\t';
    assert_int_equal(tabs, 28);
    assert_true(l.starts_with("k1\t1732377600123456789\t285c4b11-"));
    assert_true(l.find("\tnvme_core\tmodprobe\t4242\tudev\t311\ttab\\there\\nnl\\\\bs\\x01\\x7f\t"
                       "duplicate_in_kernel\t17\t") != std::string::npos);
    assert_true(l.find("\tzstd\tuser\t123456\t") != std::string::npos);
    // The trailing newline is optional for decode.
    assert_true(decode(l.substr(0, l.size() - 1)).has_value());
}

// udev's device rides in three more fields, only on a record that has one; a
// record of anyone else stays 29 fields, as an older kmodx reads it.
static void udev_device_in_three_more_fields(void**) {
    Event e = full_event();
    e.device = "/devices/pci0000:00/0000:00:1f.2\tx";
    e.seqnum = 4711;
    e.modalias = "pci:v00008086d00002922sv00001028sd0000020Dbc01sc06i01";
    std::string l = encode(e);
    assert_int_equal(tabs_in(l), 31);
    assert_true(l.find("\t7\t/devices/pci0000:00/0000:00:1f.2\\tx\t4711\tpci:v00008086d00002922") != std::string::npos);
    auto back = decode(l);
    assert_true(back.has_value());
    assert_same(e, *back);
    e.device.clear();  // a SEQNUM alone is kept too
    e.modalias.clear();
    back = decode(encode(e));
    assert_true(back.has_value() && back->seqnum == 4711 && back->device.empty() && back->modalias.empty());
    assert_int_equal(tabs_in(encode(full_event())), 28);
    std::string body = body_of(l);
    assert_false(decode(resign(body + "\textra")).has_value());  // 33 fields
    const std::string no_alias = body.substr(0, body.rfind('\t'));
    assert_false(decode(resign(no_alias)).has_value());                                  // 31
    assert_false(decode(resign(no_alias.substr(0, no_alias.rfind('\t')))).has_value());  // 30
    std::string bad_seq = no_alias.substr(0, no_alias.rfind('\t')) + "\t47x1\tpci:x";
    assert_false(decode(resign(bad_seq)).has_value());
    for (std::size_t n = 0; n + 1 < l.size(); ++n)
        if (decode(l.substr(0, n)).has_value()) fail_msg("prefix of %zu bytes decoded", n);
}

static void every_truncation_is_rejected(void**) {
    std::string l = encode(full_event());
    for (std::size_t n = 0; n + 1 < l.size(); ++n) {
        if (decode(l.substr(0, n)).has_value()) fail_msg("prefix of %zu bytes decoded", n);
    }
}

static void every_changed_byte_is_rejected(void**) {
    std::string l = encode(full_event());
    for (std::size_t i = 0; i + 1 < l.size(); ++i) {
        std::string bad = l;
        bad[i] = bad[i] == 'X' ? 'Y' : 'X';
        if (decode(bad).has_value()) fail_msg("byte %zu changed, still decoded", i);
        bad = l;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        if (decode(bad).has_value()) fail_msg("bit flipped in byte %zu, still decoded", i);
    }
}

static void well_signed_but_malformed_is_rejected(void**) {
    std::string body = body_of(encode(full_event()));
    assert_true(decode(resign(body)).has_value());                               // the helper itself signs right
    assert_false(decode(resign("k2" + body.substr(2))).has_value());             // other version
    assert_false(decode(resign(body + "\textra")).has_value());                  // a field too many
    assert_false(decode(resign(body.substr(0, body.rfind('\t')))).has_value());  // a field too few
    std::string zero_count = body.substr(0, body.rfind('\t')) + "\t0";
    assert_false(decode(resign(zero_count)).has_value());
    std::string neg = body;
    neg.replace(neg.find("\t123456\t"), 8, "\t-12345\t");  // a negative byte count
    assert_false(decode(resign(neg)).has_value());
    std::string badesc = body;
    badesc.replace(badesc.find("\\x01"), 4, "\\q01");
    assert_false(decode(resign(badesc)).has_value());
    std::string badname = body;
    badname.replace(badname.find("\tudev\t"), 6, "\tudevd\t");
    assert_false(decode(resign(badname)).has_value());
    assert_false(decode("").has_value());
    assert_false(decode("\n").has_value());
    assert_false(decode("garbage\tline\t00000000\n").has_value());
}

static void names_roundtrip(void**) {
    for (int i = 0; i < static_cast<int>(kOutcomeCount); ++i) {
        auto o = static_cast<Outcome>(i);
        assert_int_equal(static_cast<int>(*outcome_from_name(outcome_name(o))), i);
    }
    assert_string_equal(outcome_name(Outcome::NotFound), "not_found");
    assert_false(outcome_from_name("unknown").has_value());
    for (int i = 0; i <= static_cast<int>(Requester::Other); ++i) {
        auto r = static_cast<Requester>(i);
        assert_int_equal(static_cast<int>(*requester_from_name(requester_name(r))), i);
    }
    assert_string_equal(outcome_name(Outcome::SuppressedFailure), "suppressed_failure");
    assert_string_equal(requester_name(Requester::Kernel), "kernel");
    assert_false(outcome_from_name("Loaded").has_value());
    assert_false(requester_from_name("").has_value());
}

static void header_is_not_an_event(void**) {
    line::Header h{"285c4b11-06d0-4aa5-8bb6-ad4acf727315", 123, 4, 5};
    std::string l = line::encode_header(h);
    auto back = line::decode_header(l);
    assert_true(back.has_value());
    assert_string_equal(back->boot_id.c_str(), h.boot_id.c_str());
    assert_int_equal(back->created_ns, 123);
    assert_int_equal(back->dropped, 4);
    assert_int_equal(back->skipped, 5);
    assert_false(decode(l).has_value());
    assert_false(line::decode_header(encode(full_event())).has_value());
    l[10] ^= 1;
    assert_false(line::decode_header(l).has_value());
}

static void crc_and_boot_ids(void**) {
    assert_int_equal(kmodx::crc32("123456789"), 0xCBF43926u);  // the standard check value
    assert_true(line::valid_boot_id("285c4b11-06d0-4aa5-8bb6-ad4acf727315"));
    assert_false(line::valid_boot_id("285c4b11-06d0-4aa5-8bb6-ad4acf72731"));
    assert_false(line::valid_boot_id("../../../../etc/passwd/aaaaaaaaaaaaa"));
    const std::string& id = current_boot_id();
    assert_true(id.empty() || line::valid_boot_id(id));
    assert_true(&id == &current_boot_id());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_keeps_every_field),
        cmocka_unit_test(one_line_with_escaped_strings),
        cmocka_unit_test(udev_device_in_three_more_fields),
        cmocka_unit_test(every_truncation_is_rejected),
        cmocka_unit_test(every_changed_byte_is_rejected),
        cmocka_unit_test(well_signed_but_malformed_is_rejected),
        cmocka_unit_test(names_roundtrip),
        cmocka_unit_test(header_is_not_an_event),
        cmocka_unit_test(crc_and_boot_ids),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
