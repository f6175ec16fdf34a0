// SPDX-License-Identifier: LGPL-2.1-or-later
// Addition (and multiplication) that stops at UINT64_MAX instead of wrapping. The stats reports
// and compaction add up counts and byte sizes read from the store, whose CRC
// tells a damaged record from a whole one but not a forged one from a true
// one: a record with a count or size near 2^64 would make a wrapped sum show
// 0 or a small number.
// A saturated figure stays visibly out of range.
#pragma once

#include <cstdint>
#include <limits>

namespace kmodx {

constexpr std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
    std::uint64_t sum;
    return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<std::uint64_t>::max() : sum;
}

constexpr std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b) {
    std::uint64_t product;
    return __builtin_mul_overflow(a, b, &product) ? std::numeric_limits<std::uint64_t>::max() : product;
}

// TOTAL += V, stopping at UINT64_MAX: how every sum of store figures grows.
constexpr void add_saturating(std::uint64_t& total, std::uint64_t v) { total = saturating_add(total, v); }

}  // namespace kmodx
