// SPDX-License-Identifier: LGPL-2.1-or-later
// The report side of the stats store (docs/stats.md): what `modprobe --stats`
// prints from one boot's events. Four renderings of one Summary:
//   text        the kernel's debugfs section (exact format), then kmodx's own
//   json        --stats=json, schema in docs/stats.schema.json
//   prometheus  --stats=prometheus, node_exporter textfile collector format
// The debugfs figures are computed from kmodx's events by the kernel's own
// rules (docs/stats.md, "Report"); when the kernel's file is readable its
// figures are shown beside them. Every sum of counts, bytes or nanoseconds
// over records is a saturating_add(): past UINT64_MAX it stays there.
#pragma once

#include <kmodx/result.hpp>
#include <kmodx/saturating.hpp>
#include <kmodx/stats.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::stats {

// What a request spent on its module: waiting for it, reading and
// decompressing the file, and in the load syscalls.
constexpr std::uint64_t request_ns(std::uint64_t wait, std::uint64_t read, std::uint64_t decompress,
                                   std::uint64_t syscall) {
    return saturating_add(saturating_add(wait, read), saturating_add(decompress, syscall));
}

// The kernel's CONFIG_MODULE_STATS counters (kernel/module/stats.c).
struct DebugfsStats {
    std::uint64_t loaded = 0;  // Mods ever loaded
    std::uint64_t failed_kread = 0;
    std::uint64_t failed_decompress = 0;
    std::uint64_t failed_becoming = 0;
    std::uint64_t failed_load = 0;
    std::uint64_t total_size = 0;  // Total module size
    std::uint64_t text_size = 0;   // Total mod text size
    std::uint64_t kread_bytes = 0;
    std::uint64_t decompress_bytes = 0;
    std::uint64_t becoming_bytes = 0;
    std::uint64_t load_bytes = 0;  // "Failed kmod bytes"

    struct Duplicate {
        std::string module;
        std::uint64_t count = 0;
        bool becoming = false;
        bool load = false;
    };
    std::vector<Duplicate> duplicates;  // newest first, as the kernel lists them

    std::uint64_t wasted_bytes() const {
        return saturating_add(saturating_add(kread_bytes, decompress_bytes),
                              saturating_add(becoming_bytes, load_bytes));
    }
};

// "Becoming", "Load" or "Becoming & Load".
const char* duplicate_reason(const DebugfsStats::Duplicate& d);

// Where a load that reached the kernel and failed lands in its accounting.
// (Named apart from costs.hpp's KernelStage, which has no NotCounted.)
enum class DebugfsStage { NotCounted, Becoming, Load };
// FailedKernel / DuplicateInKernel only (NotCounted for anything else).
// EEXIST/EBUSY: the stage the recorder charged (costs.hpp: kernel_alloc_bytes
// is 2 x decompressed (+ compressed) for Load, 1 x for Becoming; Becoming
// when it charged nothing); ENOENT (unknown symbol/parameter): Load;
// ENOEXEC, EKEYREJECTED, EBADMSG, EPERM: Becoming; anything else is the
// module's init failing: NotCounted.
DebugfsStage debugfs_stage(const Event& e);
// The bytes the kernel counts for such a failure: kernel_alloc_bytes (the
// recorder's charge), or by the kernel's formula from the event's sizes when
// the recorder left it at zero.
std::uint64_t debugfs_wasted_bytes(const Event& e, DebugfsStage stage);

DebugfsStats debugfs_from_events(const std::vector<Event>& events);
// The kernel's exact text: "%25s\t%u\n" lines, optional averages, and the
// duplicate table (at most 111 rows, as the kernel's buffer allows).
std::string format_debugfs(const DebugfsStats& s);
// Reads the kernel's text back (any padding). nullopt when it is not that file.
std::optional<DebugfsStats> parse_debugfs(std::string_view text);
// /sys/kernel/debug/modules/stats (root only, Linux >= 6.4 with
// CONFIG_MODULE_STATS); an error when it cannot be read.
Result<DebugfsStats> read_kernel_debugfs(const std::string& path = "/sys/kernel/debug/modules/stats");

// Everything kmodx's own sections show, computed once from one boot.
struct Summary {
    std::string boot_id;
    int boot = 0;               // 0 this boot, -1 the one before, ...
    std::uint64_t records = 0;  // records read
    std::uint64_t events = 0;   // events they stand for (sum of count): module actions
    // kmodx processes that asked for a load (distinct pids among the request
    // records; a compacted record, which keeps one pid, counts once).
    std::uint64_t commands = 0;
    std::uint64_t skipped = 0;  // torn or corrupt records the store skipped
    bool torn_tail = false;
    std::uint64_t dropped = 0;    // records writers could not append
    std::int64_t created_ns = 0;  // when the boot's store was created; 0 unknown
    static constexpr std::size_t kOutcomes = kOutcomeCount;
    std::uint64_t by_outcome[kOutcomes] = {};  // events, indexed by Outcome

    struct Saved {  // Suppressed / SuppressedFailure
        std::string module;
        std::uint64_t suppressed = 0, suppressed_failure = 0;
        std::uint64_t read_bytes = 0;   // kernel_read_bytes: what the kernel would have read
        std::uint64_t alloc_bytes = 0;  // kernel_alloc_bytes: what its stats would count as wasted
    };
    std::vector<Saved> saved;  // most bytes saved first

    struct Parent {
        std::string comm;
        std::uint64_t requests = 0;
    };
    struct ByRequester {
        Requester requester = Requester::Other;
        std::uint64_t requests = 0;  // load requests: every outcome but Removed/FailedRemove
        std::uint64_t loaded = 0;
        std::uint64_t already_live = 0;
        std::uint64_t suppressed = 0;         // Suppressed: another process loaded it
        std::uint64_t kernel_duplicates = 0;  // DuplicateInKernel + MergedInKernel
        // What callers saw fail: FailedRead, FailedDecompress, FailedKernel and
        // SuppressedFailure (another process's failure handed on, no syscall),
        // which cached_failures counts apart as a part of failed.
        std::uint64_t failed = 0;
        std::uint64_t cached_failures = 0;
        std::uint64_t not_found = 0;  // NotFound: no module answers the name
        std::vector<Parent> parents;  // most requests first
    };
    std::vector<ByRequester> requesters;  // in Requester order, only those seen

    struct Decompression {
        Compression format = Compression::None;
        DecompressPath path = DecompressPath::None;
        std::uint64_t count = 0, bytes_in = 0, bytes_out = 0, ns = 0;
    };
    std::vector<Decompression> decompression;  // by format, then path

    struct SlowLoad {
        std::string module, tool;
        Requester requester = Requester::Other;
        Outcome outcome = Outcome::Loaded;
        std::int64_t time_ns = 0;
        std::uint64_t count = 1;
        // Per load (a compacted record's sums divided by its count).
        std::uint64_t wait_ns = 0, read_ns = 0, decompress_ns = 0, syscall_ns = 0;
        std::uint64_t total_ns() const { return request_ns(wait_ns, read_ns, decompress_ns, syscall_ns); }
    };
    std::vector<SlowLoad> slowest;  // loads (Loaded), at most kSlowest, slowest first
    static constexpr std::size_t kSlowest = 10;
    // Every load request, whatever its outcome, by how long its process spent
    // on it (a waiter's wait included): systemd-analyze blame for modules.
    std::vector<SlowLoad> slowest_requests;  // at most kSlowest, slowest first

    // Every module this boot loaded: how many loads and the slowest one
    // (wait + read + decompress + syscall; of a compacted record, its mean).
    // One entry per module, so a metric per module keeps its series from
    // boot to boot, where a rank among the slowest would not.
    struct ModuleLoads {
        std::string module;
        std::uint64_t loads = 0;
        std::uint64_t total_ns = 0;  // all its loads
        std::uint64_t worst_ns = 0;
    };
    std::vector<ModuleLoads> loads;  // by module name

    // Time requests spent waiting (for the module's lock, or for a loader
    // outside kmodx), per module, over the requests that waited 1 ms or more
    // (an uncontended lock takes microseconds): waiters, and a loader that
    // had to wait for its turn.
    struct Wait {
        std::string module;
        std::uint64_t requests = 0;
        std::uint64_t total_ns = 0;
        // The longest one wait; of a compacted record, which keeps only the
        // sum, its mean.
        std::uint64_t worst_ns = 0;
    };
    std::vector<Wait> waits;  // most total wait first

    // Requests that failed, one row per module, outcome and errno. A cached
    // failure (SuppressedFailure) joins the row of the failure it handed on
    // (same module and errno); without one in this boot's store it has a row
    // of its own, outcome SuppressedFailure.
    struct Failure {
        std::string module;  // for NotFound the name as asked
        Outcome outcome = Outcome::FailedKernel;
        int err = 0;
        std::uint64_t count = 0;   // every caller that saw it, cached included
        std::uint64_t cached = 0;  // of count: handed on without a syscall
        std::int64_t last_ns = 0;
        std::uint64_t by_requester[kRequesterCount] = {};  // of count, indexed by Requester
    };
    std::vector<Failure> failures;   // most frequent first
    std::vector<Failure> not_found;  // NotFound requests by name, most frequent first

    // What udev's requests were for, by device (Event::device): those that
    // did something, every outcome but AlreadyLive (most device events at
    // boot find their modules live), in udev's event order (SEQNUM).
    struct DeviceRequest {
        std::string device;  // DEVPATH
        std::uint64_t seqnum = 0;
        std::string modalias;
        std::string module;
        Outcome outcome = Outcome::Loaded;
        std::uint64_t count = 1;
    };
    std::vector<DeviceRequest> device_requests;
    std::uint64_t devices = 0;  // distinct devices udev asked for, any outcome

    struct TaintedUnload {
        std::string module, taint;
        std::uint64_t count = 0;
    };
    std::vector<TaintedUnload> tainted;  // by module

    struct Degraded {
        std::uint32_t bits = 0;
        std::string reason;
        std::uint64_t count = 0;
    };
    std::vector<Degraded> degraded;  // most frequent first

    // Events with outcome O; FIELD summed over the requesters (saturating).
    std::uint64_t outcome(Outcome o) const { return by_outcome[static_cast<std::size_t>(o)]; }
    std::uint64_t over_requesters(std::uint64_t ByRequester::*field) const {
        std::uint64_t n = 0;
        for (const auto& r : requesters) n = saturating_add(n, r.*field);
        return n;
    }

    DebugfsStats debugfs;                // computed from the events
    std::optional<DebugfsStats> kernel;  // the kernel's own, when readable
};

Summary summarize(const BootEvents& boot, int boot_index);

// Names used in all three formats.
const char* decompress_path_name(DecompressPath p);  // "none", "kernel", "userspace"
std::string degraded_names(std::uint32_t bits);      // "no_dedup,lock_timed_out"; "" for none
// errno's symbolic name ("ENOENT"), or its number when unknown.
std::string errno_name(int err);
// The message kmodx's tools print for this failure (messages.hpp, else strerror).
std::string failure_message(Outcome outcome, int err);
// "2026-12-07 18:20:05 UTC": when the boot's first record was written, the
// nearest the store knows to when the boot began; "unknown" for 0.
std::string utc_time(std::int64_t ns);
// Who asked, most first: "kernel:3,user:1" ("-" for nobody).
std::string requesters_line(const std::uint64_t (&by_requester)[kRequesterCount]);

// --stats --explain: what the numbers mean, a finding at a time, each with
// its evidence and what would change it (docs/stats.md, "Findings"). RULE
// names the rule that fired ("failing-module", "slow-load", ...).
struct Finding {
    std::string rule;
    std::string text;
};
std::vector<Finding> explain(const Summary& s);
std::string render_explain(const Summary& s);

std::string render_text(const Summary& s);
std::string render_json(const Summary& s);
std::string render_prometheus(const Summary& s);
// --stats=svg: the boot's module requests over time, one lane per module in
// the order they were first asked for, each request split into waiting,
// reading, decompressing and the load call, who asked and how it failed
// marked (docs/stats.md, "Timeline"). Bounded: past 300 modules the rest
// share a lane, and requests are drawn on a pixel grid.
std::string render_svg(const BootEvents& boot);
// --stats=html: one self-contained page (inline CSS and SVG, no scripts):
// the totals, the kernel's figures beside kmodx's, the timeline, the
// slowest loads and the findings of --explain.
std::string render_html(const Summary& s, const BootEvents& boot);

// --stats --compare: one boot set beside another (docs/stats.md, "Boot
// against boot"): the modules kmodx loaded in one and not the other, loads
// that got slower beyond the noise, modules failing more often, and the
// request counts side by side.
struct Comparison {
    int boot = 0, against = -1;
    std::string boot_id, against_id;
    std::vector<std::string> only_now, only_before;  // modules loaded (by kmodx) in one boot only, by name
    // A module's mean load time (wait + read + decompress + load call) that
    // grew by half and by kSlowerNs or more: the noise of a boot is smaller.
    struct Slower {
        std::string module;
        std::uint64_t before_ns = 0, now_ns = 0;
    };
    std::vector<Slower> slower;  // most time added first
    static constexpr std::uint64_t kSlowerNs = 10'000'000;
    // A module whose requests failed more often than before (callers that
    // saw a failure, cached ones included), new failures among them.
    struct Failing {
        std::string module;
        std::uint64_t before = 0, now = 0;
    };
    std::vector<Failing> more_failures;  // by name
    struct Count {
        const char* name;  // a JSON key: "requests", "loaded", ...
        const char* label;
        std::uint64_t before = 0, now = 0;
    };
    std::vector<Count> counts;
};
Comparison compare(const Summary& now, const Summary& before);
std::string render_compare_text(const Comparison& c);
std::string render_compare_json(const Comparison& c);

// Every string from the store (module, parent comm, taint, degradation
// reason, boot id) goes through one of these before it reaches a report,
// so no control character reaches the admin's terminal. "Control" is the
// same in all three: bytes below 0x20, DEL (0x7f), the C1 controls
// U+0080..U+009F, and for text and Prometheus any byte that is not UTF-8.
// Printable ASCII and other valid UTF-8 pass unchanged.
//
// Text reports (the debugfs section and kmodx's sections): a control byte
// becomes \xHH (lower-case hex, as the store's own escaping), a backslash
// "\\" so that "\x1b" in a report can only mean the byte 0x1b.
std::string text_escape(std::string_view s);
// JSON string body (RFC 8259): quote, backslash and controls escaped (\n,
// \t, ..., else \u00XX, C1 included); bytes that are not UTF-8 become U+FFFD.
std::string json_escape(std::string_view s);
// Prometheus label value: the exposition format's escapes for backslash,
// double quote and newline; any other control byte becomes the text
// report's \xHH with its backslash escaped ("\\x1b"), the format having no
// escape of its own for it.
std::string prometheus_label_escape(std::string_view s);
// XML and HTML text and attribute values: as text_escape() shows the string,
// then & < > " ' as character references.
std::string xml_escape(std::string_view s);

}  // namespace kmodx::stats
