// SPDX-License-Identifier: LGPL-2.1-or-later
// One pass over a boot's events into the figures every report format shows.
// Hash maps keyed by views into the events keep 100,000 records well inside
// the report's time budget.
#include <kmodx/messages.hpp>
#include <kmodx/stats_report.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace kmodx::stats {
namespace {

bool is_request(Outcome o) { return o != Outcome::Removed && o != Outcome::FailedRemove; }

bool is_failure(Outcome o) {
    switch (o) {
        case Outcome::FailedRead:
        case Outcome::FailedDecompress:
        case Outcome::FailedKernel:
        case Outcome::FailedRemove: return true;
        default: return false;
    }
}

// A request waited when it spent at least this long: an uncontended lock
// takes microseconds, and counting those would make every request a waiter.
constexpr std::uint64_t kWaitedNs = 1'000'000;

// Outcomes whose process read (and possibly decompressed) the module file.
bool read_the_file(Outcome o) {
    return o == Outcome::Loaded || o == Outcome::FailedKernel || o == Outcome::DuplicateInKernel ||
           o == Outcome::FailedDecompress;
}

struct PairHash {
    std::size_t operator()(const std::pair<std::string_view, std::string_view>& p) const {
        return std::hash<std::string_view>()(p.first) * 31 + std::hash<std::string_view>()(p.second);
    }
};

struct FailKey {
    std::string_view module;
    Outcome outcome;
    int err;
    bool operator==(const FailKey&) const = default;
};
struct FailHash {
    std::size_t operator()(const FailKey& k) const {
        return std::hash<std::string_view>()(k.module) ^ (std::size_t(k.outcome) << 20) ^ (std::size_t(k.err) << 8);
    }
};

// The figures of one boot as the events go by: one add_ per report section,
// each taking the event and its multiplicity (a compacted record stands for
// `count` events), then finish() sorts the sections as the reports show them.
class Tally {
public:
    explicit Tally(Summary& s) : s_(s) {}

    void add(const Event& e) {
        const std::uint64_t n = e.count ? e.count : 1;
        add_saturating(s_.events, n);
        auto oi = static_cast<std::size_t>(e.outcome);
        if (oi < Summary::kOutcomes) add_saturating(s_.by_outcome[oi], n);
        if (e.outcome == Outcome::Suppressed || e.outcome == Outcome::SuppressedFailure) add_saved(e, n);
        if (is_request(e.outcome)) add_request(e, n), pids_.insert(e.pid), keep_slowest(s_.slowest_requests, e, n);
        if (e.format != Compression::None && read_the_file(e.outcome)) add_decompression(e, n);
        if (e.outcome == Outcome::Loaded) add_slow(e, n), add_load(e, n);
        if (e.wait_ns / n >= kWaitedNs && is_request(e.outcome)) add_wait(e, n);
        if (is_failure(e.outcome) || (e.outcome == Outcome::DuplicateInKernel && e.err != 0)) add_failure(e, n);
        if (e.outcome == Outcome::SuppressedFailure) add_cached_failure(e, n);
        if (e.outcome == Outcome::NotFound) add_not_found(e, n);
        if (e.outcome == Outcome::Removed && !e.taint.empty()) add_taint(e, n);
        if (!e.device.empty()) add_device(e, n);
        if (e.degraded != kDegradedNone) add_saturating(degraded_[{e.degraded, e.degraded_reason}], n);
    }

    void finish() {
        std::stable_sort(s_.saved.begin(), s_.saved.end(), [](const auto& a, const auto& b) {
            auto sa = a.alloc_bytes, sb = b.alloc_bytes;
            if (sa != sb) return sa > sb;
            return a.module < b.module;
        });
        for (auto& [who, r] : req_) {
            for (auto& [comm, count] : parents_[who]) r.parents.push_back({std::string(comm), count});
            std::sort(r.parents.begin(), r.parents.end(), [](const auto& a, const auto& b) {
                return a.requests != b.requests ? a.requests > b.requests : a.comm < b.comm;
            });
            s_.requesters.push_back(std::move(r));
        }
        for (auto& [key, d] : dec_) s_.decompression.push_back(d);
        s_.commands = pids_.size();
        join_cached_failures();
        auto most_first = [](const auto& a, const auto& b) {
            if (a.count != b.count) return a.count > b.count;
            if (a.module != b.module) return a.module < b.module;
            return a.err < b.err;
        };
        std::sort(s_.failures.begin(), s_.failures.end(), most_first);
        std::sort(s_.not_found.begin(), s_.not_found.end(), most_first);
        std::sort(s_.loads.begin(), s_.loads.end(), [](const auto& a, const auto& b) { return a.module < b.module; });
        std::sort(s_.waits.begin(), s_.waits.end(), [](const auto& a, const auto& b) {
            return a.total_ns != b.total_ns ? a.total_ns > b.total_ns : a.module < b.module;
        });
        std::sort(s_.tainted.begin(), s_.tainted.end(), [](const auto& a, const auto& b) {
            return a.module != b.module ? a.module < b.module : a.taint < b.taint;
        });
        s_.devices = devices_.size();
        std::stable_sort(s_.device_requests.begin(), s_.device_requests.end(),
                         [](const auto& a, const auto& b) { return a.seqnum < b.seqnum; });
        for (auto& [key, count] : degraded_) s_.degraded.push_back({key.first, std::string(key.second), count});
        std::stable_sort(s_.degraded.begin(), s_.degraded.end(),
                         [](const auto& a, const auto& b) { return a.count > b.count; });
    }

private:
    void add_saved(const Event& e, std::uint64_t n) {
        auto [it, fresh] = saved_at_.try_emplace(e.module, s_.saved.size());
        if (fresh) s_.saved.push_back({e.module});
        auto& row = s_.saved[it->second];
        add_saturating(e.outcome == Outcome::Suppressed ? row.suppressed : row.suppressed_failure, n);
        add_saturating(row.read_bytes, e.kernel_read_bytes);
        add_saturating(row.alloc_bytes, e.kernel_alloc_bytes);
    }

    void add_request(const Event& e, std::uint64_t n) {
        auto& r = req_[e.requester];
        r.requester = e.requester;
        add_saturating(r.requests, n);
        switch (e.outcome) {
            case Outcome::Loaded: add_saturating(r.loaded, n); break;
            case Outcome::AlreadyLive: add_saturating(r.already_live, n); break;
            case Outcome::Suppressed: add_saturating(r.suppressed, n); break;
            case Outcome::SuppressedFailure:
                add_saturating(r.failed, n);
                add_saturating(r.cached_failures, n);
                break;
            case Outcome::DuplicateInKernel:
            case Outcome::MergedInKernel: add_saturating(r.kernel_duplicates, n); break;
            case Outcome::FailedRead:
            case Outcome::FailedDecompress:
            case Outcome::FailedKernel: add_saturating(r.failed, n); break;
            case Outcome::NotFound: add_saturating(r.not_found, n); break;
            default: break;
        }
        add_saturating(parents_[e.requester][e.parent_comm], n);
    }

    void add_decompression(const Event& e, std::uint64_t n) {
        auto& d = dec_[{e.format, e.path}];
        d.format = e.format;
        d.path = e.path;
        add_saturating(d.count, n);
        add_saturating(d.bytes_in, e.file_bytes);
        add_saturating(d.bytes_out, e.image_bytes);
        add_saturating(d.ns, e.decompress_ns);
    }

    // Into a bounded sorted list: most events are not among the slowest, so
    // an entry (and its strings) is made only for one that gets in.
    static void keep_slowest(std::vector<Summary::SlowLoad>& list, const Event& e, std::uint64_t n) {
        const std::uint64_t total = request_ns(e.wait_ns / n, e.read_ns / n, e.decompress_ns / n, e.syscall_ns / n);
        auto slower = [](std::uint64_t a_ns, std::int64_t a_time, const Summary::SlowLoad& b) {
            if (a_ns != b.total_ns()) return a_ns > b.total_ns();
            return a_time < b.time_ns;
        };
        if (list.size() >= Summary::kSlowest && !slower(total, e.time_ns, list.back())) return;
        auto pos = std::upper_bound(list.begin(), list.end(), total, [&](std::uint64_t ns, const Summary::SlowLoad& b) {
            return slower(ns, e.time_ns, b);
        });
        list.insert(pos, Summary::SlowLoad{e.module, e.tool, e.requester, e.outcome, e.time_ns, n, e.wait_ns / n,
                                           e.read_ns / n, e.decompress_ns / n, e.syscall_ns / n});
        if (list.size() > Summary::kSlowest) list.pop_back();
    }

    void add_slow(const Event& e, std::uint64_t n) { keep_slowest(s_.slowest, e, n); }

    void add_load(const Event& e, std::uint64_t n) {
        auto [it, fresh] = load_at_.try_emplace(e.module, s_.loads.size());
        if (fresh) s_.loads.push_back({e.module});
        auto& l = s_.loads[it->second];
        const std::uint64_t total = request_ns(e.wait_ns, e.read_ns, e.decompress_ns, e.syscall_ns);
        add_saturating(l.loads, n);
        add_saturating(l.total_ns, total);
        l.worst_ns = std::max(l.worst_ns, total / n);
    }

    void add_wait(const Event& e, std::uint64_t n) {
        auto [it, fresh] = wait_at_.try_emplace(e.module, s_.waits.size());
        if (fresh) s_.waits.push_back({e.module});
        auto& w = s_.waits[it->second];
        add_saturating(w.requests, n);
        add_saturating(w.total_ns, e.wait_ns);
        w.worst_ns = std::max(w.worst_ns, e.wait_ns / n);
    }

    static void count_in(Summary::Failure& f, const Event& e, std::uint64_t n) {
        add_saturating(f.count, n);
        const auto who = static_cast<std::size_t>(e.requester);
        if (who < std::size(f.by_requester)) add_saturating(f.by_requester[who], n);
        f.last_ns = std::max(f.last_ns, e.time_ns);
    }

    static Summary::Failure row_for(const Event& e, Outcome outcome) {
        Summary::Failure f;
        f.module = e.module;
        f.outcome = outcome;
        f.err = e.err;
        f.last_ns = e.time_ns;
        return f;
    }

    void add_failure(const Event& e, std::uint64_t n) {
        auto [it, fresh] = fail_at_.try_emplace(FailKey{e.module, e.outcome, e.err}, s_.failures.size());
        if (fresh) s_.failures.push_back(row_for(e, e.outcome));
        count_in(s_.failures[it->second], e, n);
    }

    // Kept apart until every failure is in: the failure a cached one hands on
    // may be stored after it (its loader appends when it exits).
    void add_cached_failure(const Event& e, std::uint64_t n) {
        auto [it, fresh] = cached_at_.try_emplace(FailKey{e.module, Outcome::SuppressedFailure, e.err}, cached_.size());
        if (fresh) cached_.push_back(row_for(e, Outcome::SuppressedFailure));
        auto& f = cached_[it->second];
        count_in(f, e, n);
        add_saturating(f.cached, n);
    }

    void join_cached_failures() {
        std::unordered_map<FailKey, std::size_t, FailHash> origin;  // (module, err) -> failure row
        for (std::size_t i = 0; i < s_.failures.size(); ++i) {
            const auto& f = s_.failures[i];
            if (f.outcome != Outcome::FailedRemove)
                origin.try_emplace(FailKey{f.module, Outcome::SuppressedFailure, f.err}, i);
        }
        std::vector<Summary::Failure> alone;  // appended after: origin's keys view s_.failures
        for (auto& c : cached_) {
            auto it = origin.find(FailKey{c.module, Outcome::SuppressedFailure, c.err});
            if (it == origin.end()) {
                alone.push_back(std::move(c));
                continue;
            }
            auto& f = s_.failures[it->second];
            add_saturating(f.count, c.count);
            add_saturating(f.cached, c.cached);
            for (std::size_t w = 0; w < std::size(f.by_requester); ++w)
                add_saturating(f.by_requester[w], c.by_requester[w]);
            f.last_ns = std::max(f.last_ns, c.last_ns);
        }
        for (auto& c : alone) s_.failures.push_back(std::move(c));
    }

    void add_not_found(const Event& e, std::uint64_t n) {
        auto [it, fresh] = not_found_at_.try_emplace(e.module, s_.not_found.size());
        if (fresh) s_.not_found.push_back(row_for(e, Outcome::NotFound));
        count_in(s_.not_found[it->second], e, n);
    }

    void add_device(const Event& e, std::uint64_t n) {
        devices_.insert(e.device);
        if (e.outcome != Outcome::AlreadyLive)
            s_.device_requests.push_back({e.device, e.seqnum, e.modalias, e.module, e.outcome, n});
    }

    void add_taint(const Event& e, std::uint64_t n) {
        auto [it, fresh] = taint_at_.try_emplace({e.module, e.taint}, s_.tainted.size());
        if (fresh) s_.tainted.push_back({e.module, e.taint, 0});
        add_saturating(s_.tainted[it->second].count, n);
    }

    Summary& s_;
    std::unordered_map<std::string_view, std::size_t> saved_at_;
    std::map<Requester, Summary::ByRequester> req_;
    std::map<Requester, std::unordered_map<std::string_view, std::uint64_t>> parents_;
    std::map<std::pair<Compression, DecompressPath>, Summary::Decompression> dec_;
    std::unordered_map<FailKey, std::size_t, FailHash> fail_at_;
    std::vector<Summary::Failure> cached_;
    std::unordered_map<FailKey, std::size_t, FailHash> cached_at_;
    std::unordered_map<std::string_view, std::size_t> not_found_at_;
    std::unordered_map<std::string_view, std::size_t> wait_at_;
    std::unordered_map<std::string_view, std::size_t> load_at_;
    std::unordered_set<pid_t> pids_;
    std::unordered_set<std::string_view> devices_;  // views into the events, which outlive the tally
    std::unordered_map<std::pair<std::string_view, std::string_view>, std::size_t, PairHash> taint_at_;
    std::map<std::pair<std::uint32_t, std::string_view>, std::uint64_t> degraded_;
};

}  // namespace

const char* decompress_path_name(DecompressPath p) {
    switch (p) {
        case DecompressPath::None: return "none";
        case DecompressPath::Kernel: return "kernel";
        case DecompressPath::Userspace: return "userspace";
    }
    return "none";
}

std::string degraded_names(std::uint32_t bits) {
    static constexpr std::pair<std::uint32_t, const char*> kNames[] = {
        {kNoDedup, "no_dedup"}, {kLockTimedOut, "lock_timed_out"}, {kDedupDisabled, "dedup_disabled"}};
    std::string out;
    for (auto [bit, name] : kNames) {
        if (!(bits & bit)) continue;
        if (!out.empty()) out += ',';
        out += name;
        bits &= ~bit;
    }
    if (bits) {  // a bit this build does not know (a newer writer)
        if (!out.empty()) out += ',';
        out += "bits_0x" + [&] {
            char b[16];
            std::snprintf(b, sizeof b, "%x", bits);
            return std::string(b);
        }();
    }
    return out;
}

std::string requesters_line(const std::uint64_t (&by_requester)[kRequesterCount]) {
    std::vector<std::pair<std::uint64_t, std::size_t>> seen;  // (count, requester)
    for (std::size_t w = 0; w < std::size(by_requester); ++w)
        if (by_requester[w]) seen.emplace_back(by_requester[w], w);
    std::stable_sort(seen.begin(), seen.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string out;
    for (auto [count, w] : seen) {
        if (!out.empty()) out += ',';
        out += requester_name(static_cast<Requester>(w));
        out += ':';
        out += std::to_string(count);
    }
    return out.empty() ? "-" : out;
}

std::string errno_name(int err) {
    if (err == 0) return "0";
    if (const char* n = ::strerrorname_np(err)) return n;
    return std::to_string(err);
}

std::string failure_message(Outcome outcome, int err) {
    if (outcome == Outcome::NotFound) return "no module, alias or builtin module by that name";
    if (err == 0) return "";
    using messages::Tool;
    if (outcome == Outcome::FailedKernel || outcome == Outcome::DuplicateInKernel)
        return messages::insert_reason(Tool::Modprobe, err);
    if (outcome == Outcome::FailedRemove) return messages::remove_reason(Tool::Modprobe, err);
    return std::strerror(err);
}

Summary summarize(const BootEvents& boot, int boot_index) {
    Summary s;
    s.boot_id = boot.boot_id;
    s.boot = boot_index;
    s.records = boot.events.size();
    s.skipped = boot.skipped;
    s.torn_tail = boot.torn_tail;
    s.dropped = boot.dropped;
    s.created_ns = boot.created_ns;
    Tally tally(s);
    for (const Event& e : boot.events) tally.add(e);
    tally.finish();
    s.debugfs = debugfs_from_events(boot.events);
    return s;
}

}  // namespace kmodx::stats
