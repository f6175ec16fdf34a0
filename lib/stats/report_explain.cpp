// SPDX-License-Identifier: LGPL-2.1-or-later
// --stats --explain: findings in plain words, each from numbers the Summary
// holds and shown with them, each with what would change it. A rule that
// lacks its evidence says nothing (docs/stats.md, "Findings").
#include <kmodx/stats_report.hpp>

#include "stats/text_layout.hpp"

#include <cerrno>
#include <cstdio>
#include <numeric>

namespace kmodx::stats {
namespace {

std::string seconds(std::uint64_t ns) {
    char out[32];
    std::snprintf(out, sizeof out, "%.2f s", static_cast<double>(ns) / 1e9);
    return out;
}

std::string times(std::uint64_t n) { return std::to_string(n) + (n == 1 ? " time" : " times"); }

// Errors that say the hardware or the feature is not there: nothing a retry
// or a fix of the module mends, so the requests are only noise.
bool absent(int err) { return err == ENODEV || err == ENXIO || err == EOPNOTSUPP; }

void failing_modules(const Summary& s, std::vector<Finding>& out) {
    for (const Summary::Failure& f : s.failures) {
        if (f.count < 2) continue;
        const std::uint64_t tried = f.count - f.cached;
        std::string text = f.module + " failed " + times(f.count) + " with " + errno_name(f.err) + " (asked by " +
                           requesters_line(f.by_requester) + "; " + std::to_string(tried) +
                           (tried == 1 ? " was" : " were") + " tried, " + std::to_string(f.cached) +
                           " answered from kmodx's cache).";
        if (absent(f.err))
            text += " " + errno_name(f.err) + " says its device or feature is not there: `blacklist " + f.module +
                    "` in a file of /etc/modprobe.d stops these requests (udev's `-b` and the kernel's own"
                    " requests honour it).";
        else text += " The kernel's log (dmesg) says why it refused it.";
        out.push_back({"failing-module", std::move(text)});
    }
}

void slow_loads(const Summary& s, std::vector<Finding>& out) {
    const std::uint64_t all =
        std::accumulate(s.loads.begin(), s.loads.end(), std::uint64_t{0},
                        [](std::uint64_t a, const Summary::ModuleLoads& l) { return saturating_add(a, l.total_ns); });
    if (all == 0) return;
    for (const Summary::ModuleLoads& l : s.loads) {
        // A quarter of the boot's loading time, and long enough to notice;
        // in 128 bits, as sums that saturated sit at UINT64_MAX.
        const unsigned __int128 ns = l.total_ns;
        if (l.total_ns < 100'000'000 || ns * 4 < all) continue;
        const unsigned pct = static_cast<unsigned>(ns * 100 / all);
        out.push_back({"slow-load", l.module + "'s load took " + seconds(l.total_ns) + ", " + std::to_string(pct) +
                                        "% of this boot's module loading time (" + seconds(all) +
                                        "). Most of a load is the module's own init function; if the module is"
                                        " not needed early, loading it later (or not at all) takes it off the boot."});
    }
}

void duplicates(const Summary& s, std::vector<Finding>& out) {
    std::uint64_t n = 0, read = 0, alloc = 0;
    for (const Summary::Saved& v : s.saved) {
        n = saturating_add(n, saturating_add(v.suppressed, v.suppressed_failure));
        read = saturating_add(read, v.read_bytes);
        alloc = saturating_add(alloc, v.alloc_bytes);
    }
    if (n == 0) return;
    std::string text = "kmodx kept " + std::to_string(n) + " duplicate load" + (n == 1 ? "" : "s") + " of " +
                       std::to_string(s.saved.size()) + " module" + (s.saved.size() == 1 ? "" : "s") +
                       " from the kernel, which would have read " + byte_size(read) + " and counted " +
                       byte_size(alloc) + " of memory as wasted";
    const Summary::Saved& top = s.saved.front();
    text += "; most for " + top.module + " (" + std::to_string(saturating_add(top.suppressed, top.suppressed_failure)) +
            ", " + byte_size(top.read_bytes) + ").";
    out.push_back({"duplicates-kept", std::move(text)});
}

void kernel_duplicates(const Summary& s, std::vector<Finding>& out) {
    const std::uint64_t dup = s.by_outcome[static_cast<std::size_t>(Outcome::DuplicateInKernel)];
    if (dup == 0) return;
    out.push_back({"duplicates-reached-kernel",
                   std::to_string(dup) + " load" + (dup == 1 ? "" : "s") +
                       " reached the kernel while the same module was already loading (EEXIST or EBUSY): they"
                       " ran without kmodx's lock (see the degraded findings, or loads by udev's builtin"
                       " `kmod load`, which kmodx does not see: docs/udev.md)."});
}

void degraded_runs(const Summary& s, std::vector<Finding>& out) {
    for (const Summary::Degraded& d : s.degraded)
        out.push_back({"degraded", std::to_string(d.count) + " request" + (d.count == 1 ? "" : "s") +
                                       " ran without part of kmodx (" + degraded_names(d.bits) +
                                       (d.reason.empty() ? "" : ": " + d.reason) +
                                       "). `kmodx config` shows the settings in effect and where each comes from."});
}

void unknown_names(const Summary& s, std::vector<Finding>& out) {
    for (const Summary::Failure& f : s.not_found) {
        if (f.count < 3) continue;
        out.push_back({"not-found", "Nothing answers " + f.module + ", yet it was asked for " + times(f.count) +
                                        " (by " + requesters_line(f.by_requester) +
                                        "). Harmless if nothing needs it; if something should, its module is"
                                        " missing from this kernel's tree or its alias from modules.alias"
                                        " (depmod -a)."});
    }
}

}  // namespace

std::vector<Finding> explain(const Summary& s) {
    std::vector<Finding> out;
    failing_modules(s, out);
    slow_loads(s, out);
    duplicates(s, out);
    kernel_duplicates(s, out);
    degraded_runs(s, out);
    unknown_names(s, out);
    return out;
}

std::string render_explain(const Summary& s) {
    const std::vector<Finding> found = explain(s);
    std::string out = "Findings for boot " + std::to_string(s.boot) + " (" + text_escape(s.boot_id) + "), from " +
                      std::to_string(s.events) + " module actions of " + std::to_string(s.commands) + " commands:\n";
    if (found.empty()) out += "- nothing to report: no failure, duplicate, slow load or degraded run.\n";
    for (const Finding& f : found) out += "- [" + f.rule + "] " + text_escape(f.text) + "\n";
    return out;
}

}  // namespace kmodx::stats
