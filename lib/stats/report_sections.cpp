// SPDX-License-Identifier: LGPL-2.1-or-later
// `modprobe --stats` as text: the kernel's debugfs section first (exactly as
// the kernel prints it, so tools that parse that file parse this), then
// kmodx's own sections in the same right-aligned, TAB-separated style.
// Every string from the store goes through text_escape() (a control byte
// shows as \xHH, never reaches the terminal raw), and totals saturate.
#include <kmodx/stats_report.hpp>

#include "stats/text_layout.hpp"

#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <string_view>

namespace kmodx::stats {
namespace {

void kernel_side_by_side(std::string& out, const DebugfsStats& mine, const DebugfsStats& k) {
    heading(out, "Kernel's own figures (/sys/kernel/debug/modules/stats):");
    row(out, {"Figure", "kmodx", "kernel"});
    auto both = [&](const char* label, std::uint64_t a, std::uint64_t b) { row(out, {label, num(a), num(b)}); };
    both("Mods ever loaded", mine.loaded, k.loaded);
    both("Mods failed on kread", mine.failed_kread, k.failed_kread);
    both("Mods failed on decompress", mine.failed_decompress, k.failed_decompress);
    both("Mods failed on becoming", mine.failed_becoming, k.failed_becoming);
    both("Mods failed on load", mine.failed_load, k.failed_load);
    both("Total module size", mine.total_size, k.total_size);
    both("Total mod text size", mine.text_size, k.text_size);
    both("Failed kread bytes", mine.kread_bytes, k.kread_bytes);
    both("Failed decompress bytes", mine.decompress_bytes, k.decompress_bytes);
    both("Failed becoming bytes", mine.becoming_bytes, k.becoming_bytes);
    both("Failed kmod bytes", mine.load_bytes, k.load_bytes);
    both("Virtual mem wasted bytes", mine.wasted_bytes(), k.wasted_bytes());
    std::uint64_t a = 0, b = 0;
    for (const auto& d : mine.duplicates) add_saturating(a, d.count);
    for (const auto& d : k.duplicates) add_saturating(b, d.count);
    both("Duplicate failures", a, b);
}

void boot_section(std::string& out, const Summary& s) {
    heading(out, "kmodx stats:");
    row(out, {"Boot", std::to_string(s.boot)});
    row(out, {"Boot id", s.boot_id.empty() ? "unknown" : text_escape(s.boot_id)});
    row(out, {"Store created", utc_time(s.created_ns)});
    // Commands are the kmodx processes that asked for loads; each records
    // one event per module it acted on (a dependency is one too), so events
    // outnumber them. Records are the store's lines: a compacted one stands
    // for several events.
    row(out, {"Commands", num(s.commands)});
    row(out, {"Events", num(s.events)});
    row(out, {"Records", num(s.records)});
    row(out, {"Records skipped", num(s.skipped)});
    row(out, {"Torn tail", s.torn_tail ? "yes" : "no"});
    row(out, {"Records dropped", num(s.dropped)});
}

void saved_section(std::string& out, const Summary& s) {
    heading(out, "Duplicates suppressed by kmodx:");
    row(out, {"Module", "Suppressed", "Cached-failure", "Kernel-read", "Bytes-saved"});
    std::uint64_t ts = 0, tf = 0, tr = 0, ta = 0;
    for (const auto& r : s.saved) {
        row(out, {text_escape(r.module), num(r.suppressed), num(r.suppressed_failure), num(r.read_bytes),
                  num(r.alloc_bytes)});
        add_saturating(ts, r.suppressed);
        add_saturating(tf, r.suppressed_failure);
        add_saturating(tr, r.read_bytes);
        add_saturating(ta, r.alloc_bytes);
    }
    if (s.saved.empty()) none(out);
    else row(out, {"Total", num(ts), num(tf), num(tr), num(ta)});
}

// "REQUESTER parents: comm (n), ..." with the five most frequent.
std::string parents_line(const Summary::ByRequester& r) {
    std::string list;
    std::size_t shown = 0;
    for (const auto& p : r.parents) {
        if (shown++ == 5) {
            list += ", ...";
            break;
        }
        if (!list.empty()) list += ", ";
        list += (p.comm.empty() ? std::string("?") : text_escape(p.comm)) + " (" + num(p.requests) + ")";
    }
    return std::string(requester_name(r.requester)) + " parents: " + list + '\n';
}

void requesters_section(std::string& out, const Summary& s) {
    heading(out, "Requests by requester:");
    // Failed is what callers saw fail; Cached-fail is the part of it that
    // another process's failure answered without a syscall.
    row(out, {"Requester", "Requests", "Loaded", "Already-live", "Suppressed", "Kernel-dups", "Failed", "Cached-fail",
              "Not-found"});
    for (const auto& r : s.requesters)
        row(out, {requester_name(r.requester), num(r.requests), num(r.loaded), num(r.already_live), num(r.suppressed),
                  num(r.kernel_duplicates), num(r.failed), num(r.cached_failures), num(r.not_found)});
    if (s.requesters.empty()) none(out);
    for (const auto& r : s.requesters) out += parents_line(r);
}

void decompression_section(std::string& out, const Summary& s) {
    heading(out, "Decompression by format:");
    row(out, {"Format", "Path", "Count", "Bytes-in", "Bytes-out", "Time-ms"});
    for (const auto& d : s.decompression)
        row(out, {compression_name(d.format), decompress_path_name(d.path), num(d.count), num(d.bytes_in),
                  num(d.bytes_out), ms(d.ns)});
    if (s.decompression.empty()) none(out);
}

void slowest_section(std::string& out, const Summary& s) {
    heading(out, "Slowest loads:");
    row(out, {"Module", "Total-ms", "Wait-ms", "Read-ms", "Decompress-ms", "Syscall-ms", "Requester"});
    for (const auto& l : s.slowest)
        row(out, {text_escape(l.module), ms(l.total_ns()), ms(l.wait_ns), ms(l.read_ns), ms(l.decompress_ns),
                  ms(l.syscall_ns), requester_name(l.requester)});
    if (s.slowest.empty()) none(out);
}

// Every request, the waiters' included: where a boot's module time went.
void slowest_requests_section(std::string& out, const Summary& s) {
    heading(out, "Slowest requests:");
    row(out, {"Module", "Total-ms", "Wait-ms", "Outcome", "Requester"});
    for (const auto& l : s.slowest_requests)
        row(out, {text_escape(l.module), ms(l.total_ns()), ms(l.wait_ns), outcome_name(l.outcome),
                  requester_name(l.requester)});
    if (s.slowest_requests.empty()) none(out);
}

// Who waited for whom: the modules whose requests spent longest waiting, in
// total (a boot's storm shows here as one module's many waiters).
void waits_section(std::string& out, const Summary& s) {
    heading(out, "Longest waits by module:");
    row(out, {"Module", "Requests", "Total-wait-ms", "Worst-wait-ms"});
    std::size_t shown = 0;
    for (const auto& w : s.waits) {
        if (shown++ == Summary::kSlowest) break;
        row(out, {text_escape(w.module), num(w.requests), ms(w.total_ns), ms(w.worst_ns)});
    }
    if (s.waits.empty()) none(out);
    else if (s.waits.size() > Summary::kSlowest) row(out, {"(" + num(s.waits.size() - Summary::kSlowest) + " more)"});
}

// Count is every caller that saw the failure, Cached the part of them a
// cached failure answered; Asked-by says who they were.
void failures_section(std::string& out, const Summary& s) {
    heading(out, "Failures:");
    row(out, {"Module", "Outcome", "Errno", "Count", "Cached", "Asked-by", "Message"});
    for (const auto& f : s.failures) {
        std::string line;
        row(line, {text_escape(f.module), outcome_name(f.outcome), errno_name(f.err), num(f.count), num(f.cached),
                   requesters_line(f.by_requester)});
        line.pop_back();  // the message is free text: no padding, no truncation
        out += line + '\t' + failure_message(f.outcome, f.err) + '\n';
    }
    if (s.failures.empty()) none(out);
}

// Names no module, alias or builtin answers: on a boot, mostly the kernel's
// requests for aliases nothing in the module tree provides.
void not_found_section(std::string& out, const Summary& s) {
    heading(out, "Not found:");
    row(out, {"Name", "Count", "Asked-by"});
    for (const auto& f : s.not_found) row(out, {text_escape(f.module), num(f.count), requesters_line(f.by_requester)});
    if (s.not_found.empty()) none(out);
}

// What udev's device events asked for, when they did more than find the
// module live: at most kDeviceRows, the JSON has every one.
void devices_section(std::string& out, const Summary& s) {
    constexpr std::size_t kDeviceRows = 40;
    heading(out, "Device requests (udev; modules already live left out):");
    row(out, {"Module", "Outcome", "Seqnum", "Device"});
    std::size_t shown = 0;
    for (const auto& d : s.device_requests) {
        if (shown++ == kDeviceRows) break;
        std::string line;
        row(line, {text_escape(d.module), outcome_name(d.outcome), num(d.seqnum)});
        line.pop_back();  // a devpath is long: no padding
        out += line + '\t' + text_escape(d.device) + (d.count > 1 ? " (x" + num(d.count) + ")" : "") + '\n';
    }
    if (s.device_requests.size() > kDeviceRows)
        row(out, {"...", num(s.device_requests.size() - kDeviceRows) + " more in --stats=json"});
    if (s.device_requests.empty()) none(out);
    row(out, {"Devices", num(s.devices)});
}

void tainted_section(std::string& out, const Summary& s) {
    heading(out, "Unloaded tainted modules:");
    row(out, {"Module", "Taint", "Count"});
    for (const auto& t : s.tainted) row(out, {text_escape(t.module), text_escape(t.taint), num(t.count)});
    if (s.tainted.empty()) none(out);
}

void degraded_section(std::string& out, const Summary& s) {
    heading(out, "Degraded runs:");
    row(out, {"Flags", "Count", "Reason"});
    for (const auto& d : s.degraded)
        row(out, {degraded_names(d.bits), num(d.count), d.reason.empty() ? "-" : text_escape(d.reason)});
    if (s.degraded.empty()) none(out);
}

}  // namespace

std::string utc_time(std::int64_t ns) {
    if (ns <= 0) return "unknown";
    const std::time_t t = static_cast<std::time_t>(ns / 1'000'000'000);
    std::tm tm{};
    char b[40];
    if (!::gmtime_r(&t, &tm) || std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) return "unknown";
    return b;
}

std::string render_text(const Summary& s) {
    std::string out = format_debugfs(s.debugfs);
    boot_section(out, s);
    if (s.kernel) kernel_side_by_side(out, s.debugfs, *s.kernel);
    saved_section(out, s);
    requesters_section(out, s);
    decompression_section(out, s);
    slowest_section(out, s);
    slowest_requests_section(out, s);
    waits_section(out, s);
    failures_section(out, s);
    not_found_section(out, s);
    devices_section(out, s);
    tainted_section(out, s);
    degraded_section(out, s);
    return out;
}

}  // namespace kmodx::stats
