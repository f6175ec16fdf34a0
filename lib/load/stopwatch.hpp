// SPDX-License-Identifier: LGPL-2.1-or-later
// Wall time spent in one step of a load, for LoadReport's timings: steady
// clock, so a clock change during a load cannot make a step look negative.
#pragma once

#include <chrono>
#include <cstdint>

namespace kmodx {

class Stopwatch {
public:
    std::uint64_t elapsed_ns() const { return now_ns() - start_; }

private:
    static std::uint64_t now_ns() {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
    std::uint64_t start_ = now_ns();
};

}  // namespace kmodx
