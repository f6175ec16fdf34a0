// SPDX-License-Identifier: LGPL-2.1-or-later
// kmodx's own settings (kmodx.conf(5)): built-in defaults, then
// /etc/kmodx.conf, then /etc/kmodx.d/*.conf in name order, then the
// environment; the command line (--no-dedup) is applied by its callers.
// Lines are `key = value`; `#` starts a comment at the start of a line or
// after a blank. An unknown key or a bad value costs a one-line warning and
// is otherwise ignored (the setting keeps what it had), never a failed load.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

// meson's -Druntime_dir, so the binary, the tmpfiles.d entry and the man
// pages agree on one directory.
#ifndef KMODX_DEFAULT_RUNTIME_DIR
#define KMODX_DEFAULT_RUNTIME_DIR "/run/kmodx"
#endif

namespace kmodx {

struct Config {
    std::string runtime_dir = KMODX_DEFAULT_RUNTIME_DIR;  // runtime_dir, KMODX_RUNTIME_DIR
    bool dedup = true;                                    // dedup, KMODX_DEDUP
    std::int64_t lock_wait_ms = 120'000;                  // lock_wait_ms, KMODX_LOCK_WAIT_MS
    std::int64_t fail_window_s = 60;                      // fail_window_s, KMODX_FAIL_WINDOW_S; 0: off
    std::string state_dir = "/var/lib/kmodx";             // state_dir, KMODX_STATE_DIR
    bool stats = true;                                    // stats, KMODX_STATS: recording on/off
    unsigned stats_keep_boots = 10;                       // stats_keep_boots, KMODX_STATS_KEEP_BOOTS
    std::uint64_t stats_max_bytes = 4u << 20;             // stats_max_bytes, KMODX_STATS_MAX_BYTES
};

inline constexpr const char* kConfigPath = "/etc/kmodx.conf";
inline constexpr const char* kConfigDropinDir = "/etc/kmodx.d";

// The process's settings: the files are read on first use and kept, the
// KMODX_* variables applied on top at each call (getenv is cheap, and tests
// change them). Warnings go through KMODX_WRN, once per process for each
// problem (so -q, which lowers the log threshold, silences them).
// KMODX_CONFIG=PATH reads PATH instead of /etc/kmodx.conf.
Config config();

// The pieces config() is made of, for tests.
using ConfigWarn = std::function<void(const std::string& message)>;
using ConfigGetenv = std::function<const char*(const char* name)>;

// Applies one file's text; ORIGIN names it in warnings ("FILE:LINE: ...").
void apply_config_text(Config& c, std::string_view text, const std::string& origin, const ConfigWarn& warn);
// Applies one file; a missing file is no file, an unreadable one a warning.
void apply_config_file(Config& c, const std::string& path, const ConfigWarn& warn);
// Applies DIR/*.conf in name order (byte order, as systemd and udev sort).
void apply_config_dropins(Config& c, const std::string& dir, const ConfigWarn& warn);
// Applies the KMODX_* variables.
void apply_config_env(Config& c, const ConfigGetenv& getenv, const ConfigWarn& warn);
// All of it, in order: defaults, MAIN (or $KMODX_CONFIG), DROPIN_DIR, environment.
Config load_config(const std::string& main_path, const std::string& dropin_dir, const ConfigGetenv& getenv,
                   const ConfigWarn& warn);

// One setting in effect, for `kmodx config`: its value as kmodx.conf spells
// it, and where it came from: "default", "FILE:LINE" (the last line that set
// it) or "environment KMODX_X".
struct ConfigSetting {
    std::string key, value, origin;
};
// load_config()'s settings, every key in kmodx.conf(5)'s order.
std::vector<ConfigSetting> explain_config(const std::string& main_path, const std::string& dropin_dir,
                                          const ConfigGetenv& getenv, const ConfigWarn& warn);

}  // namespace kmodx
