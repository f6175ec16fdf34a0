// SPDX-License-Identifier: LGPL-2.1-or-later
// kmodx.conf parsing (lib/core/config.cpp): the file text and the KMODX_*
// variables. Input: the file text, then optionally a NUL and NAME=VALUE
// lines that stand for the environment.
// Properties: no memory error; every warning is one line naming where the
// problem is; whatever the input, each setting stays within its documented
// range (an absolute path, the numeric bounds of kmodx.conf(5)); applying the
// same text again changes nothing and warns the same.
#include <kmodx/config.hpp>

#include "fuzz_common.hpp"

#include <map>
#include <string>
#include <vector>

namespace {

void check_ranges(const kmodx::Config& c) {
    FUZZ_CHECK(!c.runtime_dir.empty() && c.runtime_dir.front() == '/');
    FUZZ_CHECK(!c.state_dir.empty() && c.state_dir.front() == '/');
    FUZZ_CHECK(c.runtime_dir.find('\0') == std::string::npos);
    FUZZ_CHECK(c.lock_wait_ms >= 0 && c.lock_wait_ms <= 86'400'000);
    FUZZ_CHECK(c.fail_window_s >= 0 && c.fail_window_s <= 366ll * 86'400);
    FUZZ_CHECK(c.stats_keep_boots <= 1000);
    FUZZ_CHECK(c.stats_max_bytes >= (4u << 10) && c.stats_max_bytes <= (1u << 30));
}

bool same(const kmodx::Config& a, const kmodx::Config& b) {
    return a.runtime_dir == b.runtime_dir && a.dedup == b.dedup && a.lock_wait_ms == b.lock_wait_ms &&
           a.fail_window_s == b.fail_window_s && a.state_dir == b.state_dir && a.stats == b.stats &&
           a.stats_keep_boots == b.stats_keep_boots && a.stats_max_bytes == b.stats_max_bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view all(reinterpret_cast<const char*>(data), size);
    const std::size_t nul = all.find('\0');
    const std::string_view text = all.substr(0, nul);
    std::map<std::string, std::string> env;
    if (nul != std::string_view::npos) {
        std::string_view rest = all.substr(nul + 1);
        while (!rest.empty()) {
            std::size_t nl = rest.find('\n');
            std::string_view l = rest.substr(0, nl);
            rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
            std::size_t eq = l.find('=');
            if (eq != std::string_view::npos) env[std::string(l.substr(0, eq))] = std::string(l.substr(eq + 1));
        }
    }

    std::vector<std::string> warnings;
    const kmodx::ConfigWarn warn = [&](const std::string& m) { warnings.push_back(m); };
    kmodx::Config c;
    kmodx::apply_config_text(c, text, "/etc/kmodx.conf", warn);
    check_ranges(c);
    for (const auto& w : warnings) {
        FUZZ_CHECK(w.find('\n') == std::string::npos);
        FUZZ_CHECK(w.starts_with("/etc/kmodx.conf:"));
    }

    const std::vector<std::string> first = warnings;
    kmodx::Config again = c;
    warnings.clear();
    kmodx::apply_config_text(again, text, "/etc/kmodx.conf", warn);
    FUZZ_CHECK(same(c, again));
    FUZZ_CHECK(warnings == first);

    // A file may hold NUL bytes too: the whole input as one file.
    warnings.clear();
    kmodx::Config raw;
    kmodx::apply_config_text(raw, all, "/etc/kmodx.conf", warn);
    check_ranges(raw);
    for (const auto& w : warnings) FUZZ_CHECK(w.find('\n') == std::string::npos);

    warnings.clear();
    kmodx::apply_config_env(
        c,
        [&](const char* name) -> const char* {
            auto it = env.find(name);
            return it == env.end() ? nullptr : it->second.c_str();
        },
        warn);
    check_ranges(c);
    for (const auto& w : warnings) {
        FUZZ_CHECK(w.starts_with("KMODX_"));
    }
    return 0;
}
