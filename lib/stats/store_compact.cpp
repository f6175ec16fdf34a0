// SPDX-License-Identifier: LGPL-2.1-or-later
// Compaction: when a boot's store would pass its size bound, old detail
// becomes totals. Nothing is dropped: a total carries the number of events
// it stands for and the sums of their costs, so every count and byte figure
// of the report stays exact; only per-invocation detail (pid, parent, udev's
// device, single timings) of the older events is given up.
#include "stats/store_impl.hpp"

#include "stats/deferred_footprint.hpp"

#include <kmodx/saturating.hpp>

#include <map>
#include <tuple>

namespace kmodx::stats::store {
namespace {

// Everything a report groups or labels by stays apart; format and path
// matter to the decompression section, taint to the unloaded-tainted list,
// the degradation to the degraded runs. Loads whose footprint is still to be
// filled in (deferred_footprint.hpp) stay apart from those that have one, so
// that a total is either all sized or all to be sized (COUNT times one file).
using Key = std::tuple<std::string_view, std::string_view, std::string_view, Requester, Outcome, int, Compression,
                       DecompressPath, std::string_view, std::uint32_t, std::string_view, bool>;

Key key_of(const Event& e) {
    return {e.module, e.tool, e.boot_id, e.requester, e.outcome,         e.err,
            e.format, e.path, e.taint,   e.degraded,  e.degraded_reason, footprint_deferred(e)};
}

// Sums stop at UINT64_MAX: a forged record near 2^64 must not wrap a total
// into a small, believable figure (the reports saturate the same way).
void add_into(Event& total, const Event& e) {
    for (auto field : {&Event::count, &Event::file_bytes, &Event::image_bytes, &Event::module_bytes, &Event::text_bytes,
                       &Event::wait_ns, &Event::read_ns, &Event::decompress_ns, &Event::syscall_ns,
                       &Event::kernel_read_bytes, &Event::kernel_alloc_bytes})
        add_saturating(total.*field, e.*field);
    if (e.time_ns < total.time_ns) total.time_ns = e.time_ns;
}

}  // namespace

std::vector<Event> compact(const std::vector<Event>& events, const std::vector<std::uint32_t>& sizes,
                           std::uint64_t detail_budget) {
    // The newest single events stay as they are, up to the budget.
    std::size_t keep_from = events.size();
    std::uint64_t used = 0;
    while (keep_from > 0) {
        const Event& e = events[keep_from - 1];
        std::uint64_t size = keep_from - 1 < sizes.size() ? sizes[keep_from - 1] : 200;
        if (e.count != 1 || used + size > detail_budget) break;
        used += size;
        --keep_from;
    }

    std::map<Key, std::size_t> index;
    std::vector<Event> out;
    for (std::size_t i = 0; i < keep_from; ++i) {
        const Event& e = events[i];
        auto [it, fresh] = index.try_emplace(key_of(e), out.size());
        if (fresh) {
            Event t = e;
            // A total is nobody's invocation: the first parent's name stays
            // as a hint of who asked, the ids would mislead.
            t.pid = 0;
            t.parent_pid = 0;
            t.holder_pid = 0;
            // Nor is it one device's: totals of many devices' requests
            // would name the first.
            t.device.clear();
            t.seqnum = 0;
            t.modalias.clear();
            out.push_back(std::move(t));
            // The key views point into `events`, which outlives the map.
        } else {
            add_into(out[it->second], e);
        }
    }
    out.insert(out.end(), events.begin() + static_cast<std::ptrdiff_t>(keep_from), events.end());
    return out;
}

}  // namespace kmodx::stats::store
