// SPDX-License-Identifier: LGPL-2.1-or-later
// The JSON writer the stats reports share (--stats=json, --compare's JSON):
// members in order, commas where they belong, every string through
// json_escape(). Internal to lib/stats.
#pragma once

#include <kmodx/stats_report.hpp>

#include <string>
#include <string_view>

namespace kmodx::stats {

class Json {
public:
    std::string out;

    void str(std::string_view v) {
        out += '"';
        out += json_escape(v);
        out += '"';
    }
    void key(std::string_view k) {
        comma();
        str(k);
        out += ':';
        fresh_ = true;
    }
    void u(std::string_view k, std::uint64_t v) { key(k), out += std::to_string(v), fresh_ = false; }
    void i(std::string_view k, std::int64_t v) { key(k), out += std::to_string(v), fresh_ = false; }
    void b(std::string_view k, bool v) { key(k), out += v ? "true" : "false", fresh_ = false; }
    void s(std::string_view k, std::string_view v) { key(k), str(v), fresh_ = false; }
    void open(char c) { comma(), out += c, fresh_ = true; }
    void close(char c) { out += c, fresh_ = false; }
    void elem_str(std::string_view v) { comma(), str(v), fresh_ = false; }
    void null() { comma(), out += "null", fresh_ = false; }

private:
    void comma() {
        if (!fresh_ && !out.empty()) out += ',';
        fresh_ = false;
    }
    bool fresh_ = true;
};

// KEY: an array of objects, one per item, whose members FN writes.
template <class Items, class Fn>
inline void object_array(Json& j, std::string_view key, const Items& items, Fn fn) {
    j.key(key);
    j.open('[');
    for (const auto& item : items) {
        j.open('{');
        fn(item);
        j.close('}');
    }
    j.close(']');
}

}  // namespace kmodx::stats
