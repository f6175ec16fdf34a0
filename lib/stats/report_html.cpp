// SPDX-License-Identifier: LGPL-2.1-or-later
// `modprobe --stats=html`: one boot's report as a page a browser shows
// offline (docs/stats.md, "Timeline"): inline CSS and SVG, no scripts, no
// fetches, every string from the store escaped. The totals first, the
// kernel's own figures beside kmodx's when debugfs was readable, the
// timeline, the slowest loads, then what --explain finds.
#include <kmodx/saturating.hpp>
#include <kmodx/stats_report.hpp>

#include "stats/text_layout.hpp"

#include <cstdio>

namespace kmodx::stats {
namespace {

void row(std::string& out, std::string_view label, const std::string& value) {
    out += "<tr><th>";
    out += xml_escape(label);
    out += "</th><td>";
    out += xml_escape(value);
    out += "</td></tr>\n";
}

void totals(std::string& out, const Summary& s) {
    using R = Summary::ByRequester;
    std::uint64_t saved = 0;
    for (const auto& v : s.saved) saved = saturating_add(saved, v.alloc_bytes);
    out += "<h2>Totals</h2>\n<table>\n";
    row(out, "Modules loaded", num(s.outcome(Outcome::Loaded)));
    row(out, "Load requests", num(s.over_requesters(&R::requests)));
    row(out, "Commands that asked", num(s.commands));
    row(out, "Duplicates suppressed (waited for another loader)", num(s.outcome(Outcome::Suppressed)));
    row(out, "Cached failures handed on", num(s.outcome(Outcome::SuppressedFailure)));
    row(out, "Duplicates that reached the kernel", num(s.over_requesters(&R::kernel_duplicates)));
    row(out, "Kernel memory the suppressed duplicates would have wasted", byte_size(saved));
    row(out, "Requests that failed", num(s.over_requesters(&R::failed)));
    row(out, "Names nothing answers", num(s.over_requesters(&R::not_found)));
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
    both("Total module size", byte_size(mine.total_size), byte_size(k.total_size));
    both("Memory wasted by duplicates", byte_size(mine.wasted_bytes()), byte_size(k.wasted_bytes()));
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
        out += "<tr><th>" + xml_escape(l.module) + "</th><td>" + ms(l.total_ns()) + " ms" + "</td><td>" +
               ms(l.wait_ns) + " ms" + "</td><td>" + ms(l.read_ns) + " ms" + "</td><td>" + ms(l.decompress_ns) + " ms" +
               "</td><td>" + ms(l.syscall_ns) + " ms" + "</td><td>" + requester_name(l.requester) + "</td></tr>\n";
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
