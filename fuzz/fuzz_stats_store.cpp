// SPDX-License-Identifier: LGPL-2.1-or-later
// The stats store's reader: one record line (stats::decode, lib/stats/
// event.cpp), a whole boot file (store::parse: header, torn tails, records
// run together by a killed writer) and compaction of what was read.
// Input: [mode byte][file bytes]. With mode & 1 every line's CRC field is
// recomputed first, so mutations reach the field parsers instead of all
// dying at the checksum.
// Properties: no memory error; what parses re-encodes to a line that decodes
// to the same record; parse accounts for no more bytes than it was given;
// compaction keeps the total event count.
#include <kmodx/stats.hpp>

#include "fuzz_common.hpp"
#include "core/crc32.hpp"
#include "stats/store_impl.hpp"

#include <numeric>
#include <string>

namespace {

std::string with_fixed_crcs(std::string_view in) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    std::size_t pos = 0;
    while (pos < in.size()) {
        std::size_t nl = in.find('\n', pos);
        bool whole = nl != std::string_view::npos;
        std::string_view l = in.substr(pos, (whole ? nl : in.size()) - pos);
        pos = whole ? nl + 1 : in.size();
        std::size_t tab = l.rfind('\t');
        std::string_view body = tab == std::string_view::npos ? l : l.substr(0, tab);
        std::uint32_t crc = kmodx::crc32(body);
        out += body;
        out += '\t';
        for (int shift = 28; shift >= 0; shift -= 4) out += kHex[(crc >> shift) & 15];
        if (whole) out += '\n';
    }
    return out;
}

void check_round_trip(const kmodx::stats::Event& e) {
    const std::string line = kmodx::stats::encode(e);
    FUZZ_CHECK(!line.empty() && line.back() == '\n');
    FUZZ_CHECK(line.find('\n') == line.size() - 1);
    auto again = kmodx::stats::decode(line);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(kmodx::stats::encode(*again) == line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace store = kmodx::stats::store;
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.byte();
    const std::string text = mode & 1 ? with_fixed_crcs(in.rest_text()) : std::string(in.rest_text());

    if (auto e = kmodx::stats::decode(text)) check_round_trip(*e);
    if (auto h = kmodx::stats::line::decode_header(text)) {
        auto again = kmodx::stats::line::decode_header(kmodx::stats::line::encode_header(*h));
        FUZZ_CHECK(again && again->boot_id == h->boot_id && again->created_ns == h->created_ns &&
                   again->dropped == h->dropped && again->skipped == h->skipped);
    }

    store::Parsed p = store::parse(text);
    FUZZ_CHECK(p.events.size() == p.sizes.size());
    std::uint64_t accounted = p.header_len;
    for (auto s : p.sizes) accounted += s;
    FUZZ_CHECK(accounted <= text.size());
    FUZZ_CHECK(!p.header || p.header_len > 0);
    for (const auto& e : p.events) {
        FUZZ_CHECK(e.count > 0);
        check_round_trip(e);
    }

    // Compaction of what was read, with a budget from the mode byte.
    const std::uint64_t budget = static_cast<std::uint64_t>(mode >> 1) * 64;
    auto sum = [](const std::vector<kmodx::stats::Event>& v) {
        return std::accumulate(v.begin(), v.end(), std::uint64_t{0},
                               [](std::uint64_t a, const auto& e) { return a + e.count; });
    };
    auto compacted = store::compact(p.events, p.sizes, budget);
    FUZZ_CHECK(compacted.size() <= p.events.size());
    FUZZ_CHECK(sum(compacted) == sum(p.events));
    return 0;
}
