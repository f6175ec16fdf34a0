// SPDX-License-Identifier: LGPL-2.1-or-later
// One event as one tab-separated text line:
//   k1 TIME BOOT MODULE TOOL PID REQUESTER PPID PCOMM OUTCOME ERR HOLDER
//      DEGRADED_REASON DEGRADED FORMAT PATH FILE IMAGE MODULE_B TEXT
//      WAIT READ DECOMPRESS SYSCALL K_READ K_ALLOC TAINT COUNT
//      [DEVICE SEQNUM MODALIAS] CRC
// DEVICE, SEQNUM and MODALIAS only in a request from udev (Event::device):
// 32 fields then, 29 otherwise, so a record from anyone else stays readable
// by a kmodx that predates them (which skips a 32-field record as one it
// cannot read).
// Positional fields keep a record around 150 bytes while `grep nvme` or
// `cut -f10` still work on the raw file. Strings are escaped (\\ \t \n \xHH)
// so a record holds no tab but its separators and no newline but its end;
// the CRC-32 over everything before the last tab lets a reader tell a whole
// record from a torn or damaged one.
#include "stats/event.hpp"

#include "core/crc32.hpp"
#include "kernel/sysfs.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <cstring>

namespace kmodx::stats {
namespace {

constexpr std::size_t kFields = 29;        // tag .. crc
constexpr std::size_t kDeviceFields = 32;  // with DEVICE, SEQNUM and MODALIAS before the crc

constexpr const char* kHex = "0123456789abcdef";

bool needs_escape(unsigned char c) { return c == '\\' || c < 0x20 || c == 0x7f; }

// Runs of plain bytes are appended whole: a udev request's fields carry a
// modalias of up to some 600 bytes into each of its twenty events.
void put_escaped(std::string& out, std::string_view s) {
    std::size_t plain = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (!needs_escape(c)) continue;
        out.append(s.data() + plain, i - plain);
        plain = i + 1;
        if (c == '\\') out += "\\\\";
        else if (c == '\t') out += "\\t";
        else if (c == '\n') out += "\\n";
        else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    out.append(s.data() + plain, s.size() - plain);
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool unescape(std::string_view in, std::string& out) {
    bool plain = true;
    for (char c : in) plain &= c != '\\' && static_cast<unsigned char>(c) >= 0x20;
    if (plain) {
        out.assign(in);
        return true;
    }
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (static_cast<unsigned char>(c) < 0x20) return false;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i == in.size()) return false;
        switch (in[i]) {
            case '\\': out += '\\'; break;
            case 't': out += '\t'; break;
            case 'n': out += '\n'; break;
            case 'x': {
                if (i + 2 >= in.size()) return false;
                int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
                if (hi < 0 || lo < 0) return false;
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                break;
            }
            default: return false;
        }
    }
    return true;
}

template <class T>
void put_num(std::string& out, T v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

template <class T>
bool get_num(std::string_view s, T& v) {
    if (s.empty() || s[0] == '+') return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string_view path_name(DecompressPath p) {
    switch (p) {
        case DecompressPath::Kernel: return "kernel";
        case DecompressPath::Userspace: return "user";
        case DecompressPath::None: break;
    }
    return "none";
}

std::optional<DecompressPath> path_from_name(std::string_view s) {
    if (s == "none") return DecompressPath::None;
    if (s == "kernel") return DecompressPath::Kernel;
    if (s == "user") return DecompressPath::Userspace;
    return std::nullopt;
}

void put_crc(std::string& out, std::size_t line_start) {
    std::uint32_t crc = crc32(std::string_view(out).substr(line_start));
    out += '\t';
    for (int shift = 28; shift >= 0; shift -= 4) out += kHex[(crc >> shift) & 15];
    out += '\n';
}

// Splits a line into at most n tab-separated fields after checking its CRC;
// the number of fields, 0 for anything else. The line may end in one '\n'.
std::size_t split_checked(std::string_view l, std::string_view* f, std::size_t n) {
    if (!l.empty() && l.back() == '\n') l.remove_suffix(1);
    std::size_t last = l.rfind('\t');
    if (last == std::string_view::npos || l.size() - last != 9) return 0;
    std::uint32_t want = 0;
    for (char c : l.substr(last + 1)) {
        int d = hex_digit(c);
        if (d < 0) return 0;
        want = want << 4 | static_cast<std::uint32_t>(d);
    }
    if (crc32(l.substr(0, last)) != want) return 0;
    // One pass over the bytes: field lengths are a handful of characters, a
    // memchr call per field costs more than it saves.
    std::size_t i = 0, start = 0;
    const char* d = l.data();
    for (std::size_t pos = 0; pos < last; ++pos) {
        if (d[pos] != '\t') continue;
        if (i + 2 == n) return 0;  // more fields than this version has
        f[i++] = std::string_view(d + start, pos - start);
        start = pos + 1;
    }
    f[i++] = std::string_view(d + start, last - start);
    f[i++] = l.substr(last + 1);
    return f[0] == line::kTag ? i : 0;
}

}  // namespace

namespace line {

bool valid_boot_id(std::string_view id) {
    if (id.size() != 36) return false;
    for (char c : id)
        if (c != '-' && hex_digit(c) < 0) return false;
    return true;
}

void encode_to(std::string& out, const Event& e, std::string_view boot_id) {
    std::size_t start = out.size();
    out += kTag;
    out += '\t';
    put_num(out, e.time_ns);
    out += '\t';
    put_escaped(out, e.boot_id.empty() ? boot_id : std::string_view(e.boot_id));
    out += '\t';
    put_escaped(out, e.module);
    out += '\t';
    put_escaped(out, e.tool);
    out += '\t';
    put_num(out, e.pid);
    out += '\t';
    out += requester_name(e.requester);
    out += '\t';
    put_num(out, e.parent_pid);
    out += '\t';
    put_escaped(out, e.parent_comm);
    out += '\t';
    out += outcome_name(e.outcome);
    out += '\t';
    put_num(out, e.err);
    out += '\t';
    put_num(out, e.holder_pid);
    out += '\t';
    put_escaped(out, e.degraded_reason);
    out += '\t';
    put_num(out, e.degraded);
    out += '\t';
    out += compression_name(e.format);
    out += '\t';
    out += path_name(e.path);
    for (std::uint64_t v : {e.file_bytes, e.image_bytes, e.module_bytes, e.text_bytes, e.wait_ns, e.read_ns,
                            e.decompress_ns, e.syscall_ns, e.kernel_read_bytes, e.kernel_alloc_bytes}) {
        out += '\t';
        put_num(out, v);
    }
    out += '\t';
    put_escaped(out, e.taint);
    out += '\t';
    put_num(out, e.count);
    if (!e.device.empty() || e.seqnum != 0 || !e.modalias.empty()) {
        out += '\t';
        put_escaped(out, e.device);
        out += '\t';
        put_num(out, e.seqnum);
        out += '\t';
        put_escaped(out, e.modalias);
    }
    put_crc(out, start);
}

std::string encode_header(const Header& h) {
    std::string out;
    out += kTag;
    out += "\tboot\t";
    put_escaped(out, h.boot_id);
    out += '\t';
    put_num(out, h.created_ns);
    out += '\t';
    put_num(out, h.dropped);
    out += '\t';
    put_num(out, h.skipped);
    put_crc(out, 0);
    return out;
}

std::optional<Header> decode_header(std::string_view l) {
    std::string_view f[7];
    if (split_checked(l, f, 7) != 7 || f[1] != "boot") return std::nullopt;
    Header h;
    if (!unescape(f[2], h.boot_id) || !get_num(f[3], h.created_ns) || !get_num(f[4], h.dropped) ||
        !get_num(f[5], h.skipped))
        return std::nullopt;
    return h;
}

}  // namespace line

std::string encode(const Event& e) {
    std::string out;
    out.reserve(256);
    line::encode_to(out, e, {});
    return out;
}

std::optional<Event> decode(std::string_view l) {
    std::string_view f[kDeviceFields];
    const std::size_t fields = split_checked(l, f, kDeviceFields);
    if (fields != kFields && fields != kDeviceFields) return std::nullopt;
    Event e;
    auto req = requester_from_name(f[6]);
    auto out = outcome_from_name(f[9]);
    auto path = path_from_name(f[15]);
    std::optional<Compression> fmt = f[14] == "none" ? Compression::None : compression_from_name(f[14]);
    if (!req || !out || !path || !fmt) return std::nullopt;
    e.requester = *req;
    e.outcome = *out;
    e.path = *path;
    e.format = *fmt;
    bool ok = get_num(f[1], e.time_ns) && unescape(f[2], e.boot_id) && unescape(f[3], e.module) &&
              unescape(f[4], e.tool) && get_num(f[5], e.pid) && get_num(f[7], e.parent_pid) &&
              unescape(f[8], e.parent_comm) && get_num(f[10], e.err) && get_num(f[11], e.holder_pid) &&
              unescape(f[12], e.degraded_reason) && get_num(f[13], e.degraded);
    std::uint64_t* costs[] = {&e.file_bytes,        &e.image_bytes,       &e.module_bytes,  &e.text_bytes,
                              &e.wait_ns,           &e.read_ns,           &e.decompress_ns, &e.syscall_ns,
                              &e.kernel_read_bytes, &e.kernel_alloc_bytes};
    for (std::size_t i = 0; ok && i < std::size(costs); ++i) ok = get_num(f[16 + i], *costs[i]);
    ok = ok && unescape(f[26], e.taint) && get_num(f[27], e.count) && e.count > 0;
    if (ok && fields == kDeviceFields)
        ok = unescape(f[28], e.device) && get_num(f[29], e.seqnum) && unescape(f[30], e.modalias);
    if (!ok) return std::nullopt;
    return e;
}

const std::string& current_boot_id() {
    static const std::string id = [] {
        std::string s(sysfs::trim(sysfs::read_attribute("/proc/sys/kernel/random/boot_id").value_or("")));
        if (!line::valid_boot_id(s)) s.clear();
        return s;
    }();
    return id;
}

const char* outcome_name(Outcome o) {
    switch (o) {
        case Outcome::Loaded: return "loaded";
        case Outcome::AlreadyLive: return "already_live";
        case Outcome::Suppressed: return "suppressed";
        case Outcome::SuppressedFailure: return "suppressed_failure";
        case Outcome::FailedRead: return "failed_read";
        case Outcome::FailedDecompress: return "failed_decompress";
        case Outcome::FailedKernel: return "failed_kernel";
        case Outcome::DuplicateInKernel: return "duplicate_in_kernel";
        case Outcome::Removed: return "removed";
        case Outcome::FailedRemove: return "failed_remove";
        case Outcome::Blacklisted: return "blacklisted";
        case Outcome::MergedInKernel: return "merged_in_kernel";
        case Outcome::NotFound: return "not_found";
    }
    return "unknown";
}

const char* requester_name(Requester r) {
    switch (r) {
        case Requester::Kernel: return "kernel";
        case Requester::Udev: return "udev";
        case Requester::Systemd: return "systemd";
        case Requester::User: return "user";
        case Requester::Other: break;
    }
    return "other";
}

std::optional<Outcome> outcome_from_name(std::string_view s) {
    for (std::size_t i = 0; i < kOutcomeCount; ++i) {
        auto o = static_cast<Outcome>(i);
        if (s == outcome_name(o)) return o;
    }
    return std::nullopt;
}

std::optional<Requester> requester_from_name(std::string_view s) {
    for (int i = 0; i <= static_cast<int>(Requester::Other); ++i) {
        auto r = static_cast<Requester>(i);
        if (s == requester_name(r)) return r;
    }
    return std::nullopt;
}

}  // namespace kmodx::stats
