// SPDX-License-Identifier: LGPL-2.1-or-later
// The store's line format, shared by event.cpp (records) and the store
// (its header line). Internal to lib/stats.
#pragma once

#include <kmodx/stats.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kmodx::stats::line {

// Every line starts with this tag; a reader that meets another version skips
// the line (counted) rather than misreading it.
inline constexpr std::string_view kTag = "k1";

// Appends e's line to out; an empty e.boot_id is written as `boot_id`.
void encode_to(std::string& out, const Event& e, std::string_view boot_id);

// The first line of a boot's store file: whose boot it is, when the store
// was created (orders archived boots), the records counted as dropped
// before this copy was made (archives fold the live counter in) and the
// damaged records a compaction could not carry over (so they stay counted).
struct Header {
    std::string boot_id;
    std::int64_t created_ns = 0;
    std::uint64_t dropped = 0;
    std::uint64_t skipped = 0;
};
std::string encode_header(const Header& h);
std::optional<Header> decode_header(std::string_view line);

// A boot id as the kernel prints it: 36 characters of [0-9a-f-]. Anything
// else is refused before it becomes part of a file name.
bool valid_boot_id(std::string_view id);

}  // namespace kmodx::stats::line
