// Addition that stops at UINT64_MAX instead of wrapping. The stats reports
// add up counts and byte sizes read from the store, whose CRC tells a damaged
// record from a whole one but not a forged one from a true one: a record with
// a count or size near 2^64 would make a wrapped sum show 0 or a small number.
// A saturated figure stays visibly out of range.
#pragma once

#include <cstdint>
#include <limits>

namespace kmodx {

constexpr std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
    std::uint64_t sum;
    return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<std::uint64_t>::max() : sum;
}

}  // namespace kmodx
