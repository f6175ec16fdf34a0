// SPDX-License-Identifier: LGPL-2.1-or-later
// kmodx.conf: parsing, layering and the process-wide copy.
#include <kmodx/config.hpp>
#include <kmodx/fd.hpp>
#include <kmodx/log.hpp>

#include "core/dir_entries.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

namespace kmodx {
namespace {

constexpr std::size_t kMaxFile = 1u << 20;  // a config file is a few lines; more is a mistake

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return out;
}

std::optional<bool> parse_bool(std::string_view v) {
    const std::string s = lower(v);
    if (s == "yes" || s == "true" || s == "on" || s == "1") return true;
    if (s == "no" || s == "false" || s == "off" || s == "0") return false;
    return std::nullopt;
}

std::optional<std::uint64_t> parse_number(std::string_view v, std::uint64_t max, bool size_suffix) {
    std::uint64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p == v.data()) return std::nullopt;
    std::string_view rest(p, std::size_t(v.data() + v.size() - p));
    if (!rest.empty()) {
        if (!size_suffix || rest.size() != 1) return std::nullopt;
        unsigned shift = 0;
        switch (rest.front()) {
            case 'k':
            case 'K': shift = 10; break;
            case 'm':
            case 'M': shift = 20; break;
            case 'g':
            case 'G': shift = 30; break;
            default: return std::nullopt;
        }
        if (n > (max >> shift)) return std::nullopt;
        n <<= shift;
    }
    if (n > max) return std::nullopt;
    return n;
}

// One setting: its key, its variable, what a good value looks like (for the
// warning), how to apply a value (false: bad value, nothing changed), and
// its value as kmodx.conf spells it.
struct Key {
    const char* name;
    const char* env;
    const char* expect;
    bool (*apply)(Config&, std::string_view);
    std::string (*show)(const Config&);
};

std::string yes_no(bool b) { return b ? "yes" : "no"; }

bool set_path(std::string& field, std::string_view v) {
    if (v.empty() || v.front() != '/' || v.find('\0') != std::string_view::npos) return false;
    field.assign(v);
    return true;
}

template <class T>
bool set_number(T& field, std::string_view v, std::uint64_t min, std::uint64_t max, bool suffix = false) {
    auto n = parse_number(v, max, suffix);
    if (!n || *n < min) return false;
    field = T(*n);
    return true;
}

bool set_bool(bool& field, std::string_view v) {
    auto b = parse_bool(v);
    if (!b) return false;
    field = *b;
    return true;
}

constexpr std::uint64_t kDayMs = 86'400'000;
constexpr std::uint64_t kYearS = 366ull * 86'400;

const Key kKeys[] = {
    {"runtime_dir", "KMODX_RUNTIME_DIR", "an absolute path",
     [](Config& c, std::string_view v) { return set_path(c.runtime_dir, v); },
     [](const Config& c) { return c.runtime_dir; }},
    {"dedup", "KMODX_DEDUP", "yes or no", [](Config& c, std::string_view v) { return set_bool(c.dedup, v); },
     [](const Config& c) { return yes_no(c.dedup); }},
    {"lock_wait_ms", "KMODX_LOCK_WAIT_MS", "milliseconds, 0 to 86400000",
     [](Config& c, std::string_view v) { return set_number(c.lock_wait_ms, v, 0, kDayMs); },
     [](const Config& c) { return std::to_string(c.lock_wait_ms); }},
    {"fail_window_s", "KMODX_FAIL_WINDOW_S", "seconds, 0 (off) to 31622400",
     [](Config& c, std::string_view v) { return set_number(c.fail_window_s, v, 0, kYearS); },
     [](const Config& c) { return std::to_string(c.fail_window_s); }},
    {"state_dir", "KMODX_STATE_DIR", "an absolute path",
     [](Config& c, std::string_view v) { return set_path(c.state_dir, v); },
     [](const Config& c) { return c.state_dir; }},
    {"stats", "KMODX_STATS", "yes or no", [](Config& c, std::string_view v) { return set_bool(c.stats, v); },
     [](const Config& c) { return yes_no(c.stats); }},
    {"stats_keep_boots", "KMODX_STATS_KEEP_BOOTS", "a number of boots, 0 to 1000",
     [](Config& c, std::string_view v) { return set_number(c.stats_keep_boots, v, 0, 1000); },
     [](const Config& c) { return std::to_string(c.stats_keep_boots); }},
    {"stats_max_bytes", "KMODX_STATS_MAX_BYTES", "bytes (K, M or G suffix allowed), 4K to 1G",
     [](Config& c, std::string_view v) { return set_number(c.stats_max_bytes, v, 4u << 10, 1u << 30, true); },
     [](const Config& c) { return std::to_string(c.stats_max_bytes); }},
};
constexpr std::size_t kKeyCount = std::size(kKeys);

// Where each key's value came from (index as kKeys), when asked for.
using Origins = std::array<std::string, kKeyCount>;
void note(Origins* origins, const Key* k, std::string where) {
    if (origins) (*origins)[std::size_t(k - kKeys)] = std::move(where);
}

const Key* find_key(std::string_view name) {
    for (const Key& k : kKeys)
        if (name == k.name) return &k;
    return nullptr;
}

std::string bad_value(std::string_view where, std::string_view value, const Key& k) {
    return std::string(where) + ": bad value '" + std::string(value) + "' for " + k.name + " (expected " + k.expect +
           "), ignored";
}

void apply_text(Config& c, std::string_view text, const std::string& origin, const ConfigWarn& warn, Origins* origins) {
    unsigned lineno = 0;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++lineno;
        // A '#' after a blank is a comment too, so `dedup = no  # why` works;
        // paths with " #" in them are not worth supporting.
        for (std::size_t at = line.find('#'); at != std::string_view::npos; at = line.find('#', at + 1)) {
            if (at == 0 || line[at - 1] == ' ' || line[at - 1] == '\t') {
                line = line.substr(0, at);
                break;
            }
        }
        line = trim(line);
        if (line.empty()) continue;
        const std::string where = origin + ":" + std::to_string(lineno);
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) {
            warn(where + ": expected 'key = value', ignored");
            continue;
        }
        const std::string_view name = trim(line.substr(0, eq));
        std::string_view value = trim(line.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        const Key* k = find_key(name);
        if (!k) {
            warn(where + ": unknown key '" + std::string(name) + "', ignored");
            continue;
        }
        if (k->apply(c, value)) note(origins, k, where);
        else warn(bad_value(where, value, *k));
    }
}

void apply_file(Config& c, const std::string& path, const ConfigWarn& warn, Origins* origins) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
        if (errno != ENOENT) warn(path + ": " + std::strerror(errno) + ", ignored");
        return;
    }
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            warn(path + ": " + std::strerror(errno) + ", ignored");
            return;
        }
        if (n == 0) break;
        text.append(buf, std::size_t(n));
        if (text.size() > kMaxFile) {
            warn(path + ": larger than 1 MiB, ignored");
            return;
        }
    }
    apply_text(c, text, path, warn, origins);
}

void apply_dropins(Config& c, const std::string& dir, const ConfigWarn& warn, Origins* origins) {
    std::vector<std::string> names;
    auto listed = dir_entries::each_in(dir.c_str(), [&](std::string_view n) {
        if (n.size() > 5 && n.ends_with(".conf") && n.front() != '.') names.emplace_back(n);
        return true;
    });
    if (!listed) {
        if (listed.error().code != ENOENT) warn(dir + ": " + std::strerror(listed.error().code) + ", ignored");
        return;
    }
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) apply_file(c, dir + "/" + n, warn, origins);
}

void apply_env(Config& c, const ConfigGetenv& getenv, const ConfigWarn& warn, Origins* origins) {
    for (const Key& k : kKeys) {
        const char* v = getenv(k.env);
        if (!v || !*v) continue;
        if (k.apply(c, v)) note(origins, &k, std::string("environment ") + k.env);
        else warn(bad_value(k.env, v, k));
    }
}

Config load(const std::string& main_path, const std::string& dropin_dir, const ConfigGetenv& getenv,
            const ConfigWarn& warn, Origins* origins) {
    Config c;
    const char* over = getenv("KMODX_CONFIG");
    apply_file(c, over && *over ? std::string(over) : main_path, warn, origins);
    apply_dropins(c, dropin_dir, warn, origins);
    apply_env(c, getenv, warn, origins);
    return c;
}

}  // namespace

void apply_config_text(Config& c, std::string_view text, const std::string& origin, const ConfigWarn& warn) {
    apply_text(c, text, origin, warn, nullptr);
}

void apply_config_file(Config& c, const std::string& path, const ConfigWarn& warn) {
    apply_file(c, path, warn, nullptr);
}

void apply_config_dropins(Config& c, const std::string& dir, const ConfigWarn& warn) {
    apply_dropins(c, dir, warn, nullptr);
}

void apply_config_env(Config& c, const ConfigGetenv& getenv, const ConfigWarn& warn) {
    apply_env(c, getenv, warn, nullptr);
}

Config load_config(const std::string& main_path, const std::string& dropin_dir, const ConfigGetenv& getenv,
                   const ConfigWarn& warn) {
    return load(main_path, dropin_dir, getenv, warn, nullptr);
}

std::vector<ConfigSetting> explain_config(const std::string& main_path, const std::string& dropin_dir,
                                          const ConfigGetenv& getenv, const ConfigWarn& warn) {
    Origins origins;
    const Config c = load(main_path, dropin_dir, getenv, warn, &origins);
    std::vector<ConfigSetting> out;
    for (std::size_t i = 0; i < kKeyCount; ++i)
        out.push_back({kKeys[i].name, kKeys[i].show(c), origins[i].empty() ? "default" : origins[i]});
    return out;
}

Config config() {
    static const auto getenv = [](const char* n) { return static_cast<const char*>(std::getenv(n)); };
    static const Config files = [] {
        Config c;
        const char* over = std::getenv("KMODX_CONFIG");
        const ConfigWarn warn = [](const std::string& m) { KMODX_WRN("%s\n", m.c_str()); };
        apply_config_file(c, over && *over ? std::string(over) : std::string(kConfigPath), warn);
        apply_config_dropins(c, kConfigDropinDir, warn);
        return c;
    }();
    static bool env_warned = false;
    Config c = files;
    apply_config_env(c, getenv, [](const std::string& m) {
        if (!env_warned) KMODX_WRN("%s\n", m.c_str());
    });
    env_warned = true;
    return c;
}

}  // namespace kmodx
