// SPDX-License-Identifier: LGPL-2.1-or-later
// The text reports' layout (--stats, --compare): right-aligned columns with
// a TAB between, headings, "none" for an empty section. Internal to lib/stats.
#pragma once

#include <initializer_list>
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

}  // namespace kmodx::stats
