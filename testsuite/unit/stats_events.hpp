// SPDX-License-Identifier: LGPL-2.1-or-later
// A boot's events made by hand, for the tests of what the reports say
// (test_stats_summary, test_stats_explain).
#pragma once

#include <kmodx/stats_report.hpp>

#include <cstdint>

namespace test {

struct Boot {
    kmodx::stats::BootEvents b;
    // One record of COUNT events, stamped after the ones before it.
    kmodx::stats::Event& add(const char* module, kmodx::stats::Outcome o, kmodx::stats::Requester r, int err = 0,
                             std::uint64_t count = 1) {
        kmodx::stats::Event e;
        e.module = module;
        e.outcome = o;
        e.requester = r;
        e.err = err;
        e.count = count;
        e.time_ns = static_cast<std::int64_t>(b.events.size() + 1) * 1000;
        b.events.push_back(e);
        return b.events.back();
    }
};

}  // namespace test
