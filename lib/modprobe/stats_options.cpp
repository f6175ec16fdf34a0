// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modprobe/stats_options.hpp"

#include <cstring>
#include <string_view>

namespace kmodx::modprobe {
namespace {

bool parse_format(std::string_view v, StatsFormat& out) {
    if (v == "text") out = StatsFormat::Text;
    else if (v == "json") out = StatsFormat::Json;
    else if (v == "prometheus") out = StatsFormat::Prometheus;
    else if (v == "html") out = StatsFormat::Html;
    else if (v == "svg") out = StatsFormat::Svg;
    else return false;
    return true;
}

// 0 is this boot, -1 the one before...; nothing after this boot exists.
bool parse_boot(std::string_view v, int& out) {
    bool neg = !v.empty() && v.front() == '-';
    if (neg) v.remove_prefix(1);
    if (v.empty() || v.size() > 5) return false;
    int n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + (c - '0');
    }
    if (!neg && n != 0) return false;
    out = neg ? -n : n;
    return true;
}

// Does this word, read by getopt as an option, take the next word as its value?
bool takes_next_word(std::string_view w, const char* short_options, const struct option* longs) {
    if (w.starts_with("--")) {
        std::string_view name = w.substr(2);
        if (name.find('=') != std::string_view::npos) return false;
        // getopt_long: an exact name wins, else a unique prefix.
        const struct option* match = nullptr;
        int prefixes = 0;
        for (const struct option* o = longs; o->name; ++o) {
            if (name == o->name) {
                match = o;
                prefixes = 1;
                break;
            }
            if (!name.empty() && std::string_view(o->name).starts_with(name)) {
                if (!match || match->has_arg != o->has_arg || match->val != o->val) ++prefixes;
                match = o;
            }
        }
        return match && prefixes == 1 && match->has_arg == required_argument;
    }
    // A cluster of short options: the first one taking a value ends it, and
    // takes the next word only when nothing follows it in this word.
    for (std::size_t i = 1; i < w.size(); ++i) {
        const char* p = std::strchr(short_options, w[i]);
        if (!p || w[i] == ':') return false;
        if (p[1] == ':') return i + 1 == w.size();
    }
    return false;
}

}  // namespace

StatsWords take_stats_options(std::vector<std::string>& words, const char* short_options,
                              const struct option* long_options) {
    StatsWords r;
    auto fail = [&r](std::string msg) {
        if (r.error.empty()) r.error = std::move(msg);
    };
    std::vector<std::string> kept;
    kept.reserve(words.size());
    if (!words.empty()) kept.push_back(std::move(words[0]));
    for (std::size_t i = 1; i < words.size(); ++i) {
        std::string& w = words[i];
        if (w == "--") {  // the rest is positional
            for (; i < words.size(); ++i) kept.push_back(std::move(words[i]));
            break;
        }
        std::string_view v(w);
        if (v == "--stats" || v.starts_with("--stats=")) {
            ++r.actions;
            r.action = Action::Stats;
            if (v.size() > 7 && !parse_format(v.substr(8), r.format))
                fail("unknown --stats format '" + std::string(v.substr(8)) +
                     "': use text, json, prometheus, html or svg\n");
            continue;
        }
        if (v == "--explain") {
            r.explain = true;
            continue;
        }
        if (v == "--compare" || v.starts_with("--compare=")) {
            int boot = -1;
            if (v.size() > 9 && !parse_boot(std::string(v.substr(10)), boot))
                fail("invalid --compare value '" + std::string(v.substr(10)) +
                     "': 0 is this boot, -1 the one before, ...\n");
            r.compare = boot;
            continue;
        }
        if (v == "--stats-reset" || v == "--stats-archive") {
            ++r.actions;
            r.action = v == "--stats-reset" ? Action::StatsReset : Action::StatsArchive;
            continue;
        }
        if (v == "--boot" || v.starts_with("--boot=")) {
            std::string value;
            if (v == "--boot") {
                if (i + 1 == words.size()) {
                    fail("--boot needs a value: 0 is this boot, -1 the one before, ...\n");
                    continue;
                }
                value = words[++i];
            } else {
                value = std::string(v.substr(7));
            }
            r.boot_given = true;
            if (!parse_boot(value, r.boot))
                fail("invalid --boot value '" + value + "': 0 is this boot, -1 the one before, ...\n");
            continue;
        }
        const bool option = v.size() > 1 && v.front() == '-';
        const bool value_follows = option && takes_next_word(v, short_options, long_options);
        kept.push_back(std::move(w));
        if (value_follows && i + 1 < words.size()) kept.push_back(std::move(words[++i]));
    }
    words = std::move(kept);
    return r;
}

}  // namespace kmodx::modprobe
