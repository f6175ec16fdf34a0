// One pass over a boot's events into the figures every report format shows.
// Hash maps keyed by views into the events keep 100,000 records well inside
// the report's time budget.
#include <kmodx/messages.hpp>
#include <kmodx/stats_report.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

namespace kmodx::stats {
namespace {

bool is_request(Outcome o) { return o != Outcome::Removed && o != Outcome::FailedRemove; }

bool is_failure(Outcome o) {
    switch (o) {
    case Outcome::FailedRead:
    case Outcome::FailedDecompress:
    case Outcome::FailedKernel:
    case Outcome::FailedRemove:
        return true;
    default:
        return false;
    }
}

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

std::string errno_name(int err) {
    if (err == 0) return "0";
    if (const char* n = ::strerrorname_np(err)) return n;
    return std::to_string(err);
}

std::string failure_message(Outcome outcome, int err) {
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

    std::unordered_map<std::string_view, std::size_t> saved_at;
    std::map<Requester, Summary::ByRequester> req;
    std::map<Requester, std::unordered_map<std::string_view, std::uint64_t>> parents;
    std::map<std::pair<Compression, DecompressPath>, Summary::Decompression> dec;
    struct FailKey {
        std::string_view module;
        Outcome outcome;
        int err;
        bool operator==(const FailKey&) const = default;
    };
    struct FailHash {
        std::size_t operator()(const FailKey& k) const {
            return std::hash<std::string_view>()(k.module) ^ (std::size_t(k.outcome) << 20) ^
                   (std::size_t(k.err) << 8);
        }
    };
    std::unordered_map<FailKey, std::size_t, FailHash> fail_at;
    std::unordered_map<std::pair<std::string_view, std::string_view>, std::size_t, PairHash> taint_at;
    std::map<std::pair<std::uint32_t, std::string_view>, std::uint64_t> degraded;

    for (const Event& e : boot.events) {
        const std::uint64_t n = e.count ? e.count : 1;
        add_saturating(s.events, n);
        auto oi = static_cast<std::size_t>(e.outcome);
        if (oi < Summary::kOutcomes) add_saturating(s.by_outcome[oi], n);

        if (e.outcome == Outcome::Suppressed || e.outcome == Outcome::SuppressedFailure) {
            auto [it, fresh] = saved_at.try_emplace(e.module, s.saved.size());
            if (fresh) s.saved.push_back({e.module});
            auto& row = s.saved[it->second];
            add_saturating(e.outcome == Outcome::Suppressed ? row.suppressed : row.suppressed_failure, n);
            add_saturating(row.read_bytes, e.kernel_read_bytes);
            add_saturating(row.alloc_bytes, e.kernel_alloc_bytes);
        }

        if (is_request(e.outcome)) {
            auto& r = req[e.requester];
            r.requester = e.requester;
            add_saturating(r.requests, n);
            switch (e.outcome) {
            case Outcome::Loaded: add_saturating(r.loaded, n); break;
            case Outcome::AlreadyLive: add_saturating(r.already_live, n); break;
            case Outcome::Suppressed:
            case Outcome::SuppressedFailure: add_saturating(r.suppressed, n); break;
            case Outcome::DuplicateInKernel:
            case Outcome::MergedInKernel: add_saturating(r.kernel_duplicates, n); break;
            case Outcome::FailedRead:
            case Outcome::FailedDecompress:
            case Outcome::FailedKernel: add_saturating(r.failed, n); break;
            default: break;
            }
            add_saturating(parents[e.requester][e.parent_comm], n);
        }

        if (e.format != Compression::None && read_the_file(e.outcome)) {
            auto& d = dec[{e.format, e.path}];
            d.format = e.format;
            d.path = e.path;
            add_saturating(d.count, n);
            add_saturating(d.bytes_in, e.file_bytes);
            add_saturating(d.bytes_out, e.image_bytes);
            add_saturating(d.ns, e.decompress_ns);
        }

        if (e.outcome == Outcome::Loaded) {
            Summary::SlowLoad l{e.module, e.tool, e.requester, e.time_ns, n,
                                e.wait_ns / n, e.read_ns / n, e.decompress_ns / n, e.syscall_ns / n};
            auto slower = [](const Summary::SlowLoad& a, const Summary::SlowLoad& b) {
                if (a.total_ns() != b.total_ns()) return a.total_ns() > b.total_ns();
                return a.time_ns < b.time_ns;
            };
            // A bounded sorted list: most loads are not among the slowest.
            if (s.slowest.size() < Summary::kSlowest || slower(l, s.slowest.back())) {
                auto pos = std::upper_bound(s.slowest.begin(), s.slowest.end(), l, slower);
                s.slowest.insert(pos, std::move(l));
                if (s.slowest.size() > Summary::kSlowest) s.slowest.pop_back();
            }
        }

        if (is_failure(e.outcome) || (e.outcome == Outcome::DuplicateInKernel && e.err != 0)) {
            auto [it, fresh] = fail_at.try_emplace(FailKey{e.module, e.outcome, e.err}, s.failures.size());
            if (fresh) s.failures.push_back({e.module, e.outcome, e.err, 0, e.time_ns});
            auto& f = s.failures[it->second];
            add_saturating(f.count, n);
            f.last_ns = std::max(f.last_ns, e.time_ns);
        }

        if (e.outcome == Outcome::Removed && !e.taint.empty()) {
            auto [it, fresh] = taint_at.try_emplace({e.module, e.taint}, s.tainted.size());
            if (fresh) s.tainted.push_back({e.module, e.taint, 0});
            add_saturating(s.tainted[it->second].count, n);
        }

        if (e.degraded != kDegradedNone) add_saturating(degraded[{e.degraded, e.degraded_reason}], n);
    }

    std::stable_sort(s.saved.begin(), s.saved.end(), [](const auto& a, const auto& b) {
        auto sa = a.alloc_bytes, sb = b.alloc_bytes;
        if (sa != sb) return sa > sb;
        return a.module < b.module;
    });
    for (auto& [who, r] : req) {
        for (auto& [comm, count] : parents[who]) r.parents.push_back({std::string(comm), count});
        std::sort(r.parents.begin(), r.parents.end(), [](const auto& a, const auto& b) {
            return a.requests != b.requests ? a.requests > b.requests : a.comm < b.comm;
        });
        s.requesters.push_back(std::move(r));
    }
    for (auto& [key, d] : dec) s.decompression.push_back(d);
    std::sort(s.failures.begin(), s.failures.end(), [](const auto& a, const auto& b) {
        if (a.count != b.count) return a.count > b.count;
        if (a.module != b.module) return a.module < b.module;
        return a.err < b.err;
    });
    std::sort(s.tainted.begin(), s.tainted.end(), [](const auto& a, const auto& b) {
        return a.module != b.module ? a.module < b.module : a.taint < b.taint;
    });
    for (auto& [key, count] : degraded) s.degraded.push_back({key.first, std::string(key.second), count});
    std::stable_sort(s.degraded.begin(), s.degraded.end(),
                     [](const auto& a, const auto& b) { return a.count > b.count; });

    s.debugfs = debugfs_from_events(boot.events);
    return s;
}

}  // namespace kmodx::stats
