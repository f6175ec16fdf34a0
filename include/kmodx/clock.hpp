// SPDX-License-Identifier: LGPL-2.1-or-later
// The two clocks kmodx reads, in nanoseconds. CLOCK_MONOTONIC measures
// waits and bounds (a clock set back must not stretch a wait);
// CLOCK_REALTIME stamps what outlives the process (lock records, stats
// events, a store's creation), since those are read across reboots.
#pragma once

#include <time.h>

#include <cstdint>

namespace kmodx {

inline std::int64_t clock_ns(clockid_t clock) {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
inline std::int64_t monotonic_ns() { return clock_ns(CLOCK_MONOTONIC); }
inline std::int64_t realtime_ns() { return clock_ns(CLOCK_REALTIME); }

}  // namespace kmodx
