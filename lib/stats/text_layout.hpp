// SPDX-License-Identifier: LGPL-2.1-or-later
// The text reports' layout (--stats, --compare, --explain, the HTML page's
// figures): right-aligned columns with a TAB between, headings, "none" for an
// empty section, and numbers, milliseconds and byte sizes written one way.
// Internal to lib/stats.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>

namespace kmodx::stats {

// One row: the first column in 25, the others in `width`, TAB between, as
// the kernel's duplicate table.
inline void row(std::string& out, std::initializer_list<std::string_view> cols, int width = 15) {
    bool first = true;
    for (auto c : cols) {
        if (!first) out += '\t';
        int w = first ? 25 : width;
        if (static_cast<int>(c.size()) < w) out.append(static_cast<std::size_t>(w) - c.size(), ' ');
        out += c;
        first = false;
    }
    out += '\n';
}

inline void heading(std::string& out, const char* title) {
    out += '\n';
    out += title;
    out += '\n';
}

inline void none(std::string& out) { row(out, {"none"}); }

inline std::string num(std::uint64_t v) { return std::to_string(v); }

// Nanoseconds as milliseconds with three decimals: "12.345".
inline std::string ms(std::uint64_t ns) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", static_cast<double>(ns) / 1e6);
    return b;
}

// "512 bytes", "12.3 MiB": a size as a reader takes it in.
inline std::string byte_size(std::uint64_t b) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(b);
    std::size_t u = 0;
    while (v >= 1024 && u + 1 < std::size(units)) v /= 1024, ++u;
    char out[48];
    if (u == 0) std::snprintf(out, sizeof out, "%llu bytes", static_cast<unsigned long long>(b));
    else std::snprintf(out, sizeof out, "%.1f %s", v, units[u]);
    return out;
}

}  // namespace kmodx::stats
