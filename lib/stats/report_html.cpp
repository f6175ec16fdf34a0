// SPDX-License-Identifier: LGPL-2.1-or-later
// `modprobe --stats=html`: one boot's report as a page a browser shows
// offline (docs/stats.md, "Timeline"): inline CSS and SVG, no scripts, no
// fetches, every string from the store escaped. The totals first, the
// kernel's own figures beside kmodx's when debugfs was readable, the
// timeline, the slowest loads, then what --explain finds.
#include <kmodx/saturating.hpp>
#include <kmodx/stats_report.hpp>

#include <cstdio>

namespace kmodx::stats {
namespace {

std::string num(std::uint64_t v) { return std::to_string(v); }

// "12.3 MiB": bytes as a reader takes them in.
std::string bytes(std::uint64_t v) {
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double d = static_cast<double>(v);
    int u = 0;
    while (d >= 1024.0 && u < 6) d /= 1024.0, ++u;
    char b[32];
    std::snprintf(b, sizeof b, u == 0 ? "%.0f %s" : "%.1f %s", d, kUnits[u]);
    return b;
}

std::string ms(std::uint64_t ns) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f ms", static_cast<double>(ns) / 1e6);
    return b;
}

void row(std::string& out, std::string_view label, const std::string& value) {
    out += "<tr><th>";
    out += xml_escape(label);
    out += "</th><td>";
    out += xml_escape(value);
    out += "</td></tr>\n";
}

void totals(std::string& out, const Summary& s) {
    std::uint64_t requests = 0, failed = 0, not_found = 0, saved = 0;
    for (const auto& r : s.requesters)
        requests = saturating_add(requests, r.requests), failed = saturating_add(failed, r.failed),
        not_found = saturating_add(not_found, r.not_found);
    for (const auto& v : s.saved) saved = saturating_add(saved, v.alloc_bytes);
    const auto outcome = [&](Outcome o) { return s.by_outcome[static_cast<std::size_t>(o)]; };
    out += "<h2>Totals</h2>\n<table>\n";
    row(out, "Modules loaded", num(outcome(Outcome::Loaded)));
    row(out, "Load requests", num(requests));
    row(out, "Commands that asked", num(s.commands));
    row(out, "Duplicates suppressed (waited for another loader)", num(outcome(Outcome::Suppressed)));
    row(out, "Cached failures handed on", num(outcome(Outcome::SuppressedFailure)));
    row(out, "Duplicates that reached the kernel",
        num(saturating_add(outcome(Outcome::DuplicateInKernel), outcome(Outcome::MergedInKernel))));
    row(out, "Kernel memory the suppressed duplicates would have wasted", bytes(saved));
    row(out, "Requests that failed", num(failed));
    row(out, "Names nothing answers", num(not_found));
    row(out, "Devices udev asked for", num(s.devices));
    out += "</table>\n";
}

void kernel_figures(std::string& out, const Summary& s) {
    if (!s.kernel) return;
    const DebugfsStats &mine = s.debugfs, &k = *s.kernel;
    out += "<h2>The kernel's own figures</h2>\n<table>\n<tr><th></th><th>kmodx</th><th>kernel</th></tr>\n";
    auto both = [&](const char* label, const std::string& a, const std::string& b) {
        out += "<tr><th>";
        out += label;
        out += "</th><td>" + xml_escape(a) + "</td><td>" + xml_escape(b) + "</td></tr>\n";
    };
    both("Modules loaded", num(mine.loaded), num(k.loaded));
    both("Failed on becoming", num(mine.failed_becoming), num(k.failed_becoming));
    both("Failed on load", num(mine.failed_load), num(k.failed_load));
    both("Total module size", bytes(mine.total_size), bytes(k.total_size));
    both("Memory wasted by duplicates", bytes(mine.wasted_bytes()), bytes(k.wasted_bytes()));
    out += "</table>\n";
}

void slowest(std::string& out, const Summary& s) {
    out += "<h2>Slowest loads</h2>\n";
    if (s.slowest.empty()) {
        out += "<p>none</p>\n";
        return;
    }
    out +=
        "<table>\n<tr><th>Module</th><th>total</th><th>waiting</th><th>reading</th><th>decompressing</th>"
        "<th>load call</th><th>asked by</th></tr>\n";
    for (const auto& l : s.slowest) {
        out += "<tr><th>" + xml_escape(l.module) + "</th><td>" + ms(l.total_ns()) + "</td><td>" + ms(l.wait_ns) +
               "</td><td>" + ms(l.read_ns) + "</td><td>" + ms(l.decompress_ns) + "</td><td>" + ms(l.syscall_ns) +
               "</td><td>" + requester_name(l.requester) + "</td></tr>\n";
    }
    out += "</table>\n";
}

void findings(std::string& out, const Summary& s) {
    out += "<h2>What the numbers say</h2>\n<ul>\n";
    for (const Finding& f : explain(s)) out += "<li>" + xml_escape(f.text) + "</li>\n";
    out += "</ul>\n";
}

}  // namespace

std::string render_html(const Summary& s, const BootEvents& boot) {
    std::string out =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>kmodx: module loading, boot ";
    out += xml_escape(s.boot_id);
    out +=
        "</title>\n<style>body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1200px}"
        "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}table{border-collapse:collapse}"
        "th,td{padding:2px 10px;border-bottom:1px solid #e4e4e4}th{text-align:left;font-weight:normal}"
        "td{text-align:right}li{margin:.3em 0}svg{max-width:100%;height:auto}</style>\n</head>\n<body>\n";
    out += "<h1>Module loading, boot " + std::to_string(s.boot) + " (" + xml_escape(s.boot_id) + ")</h1>\n";
    out += "<p>First record " + utc_time(s.created_ns) + "; " + num(s.records) + " records, " + num(s.events) +
           " module actions";
    if (s.skipped || s.torn_tail) out += "; " + num(s.skipped) + " damaged records skipped";
    out += ".</p>\n";
    totals(out, s);
    kernel_figures(out, s);
    out += "<h2>Timeline</h2>\n";
    out += render_svg(boot);
    slowest(out, s);
    findings(out, s);
    out += "</body>\n</html>\n";
    return out;
}

}  // namespace kmodx::stats
