// SPDX-License-Identifier: LGPL-2.1-or-later
// Where the stats store lives and how big it may grow: kmodx.conf's
// runtime_dir, state_dir, stats_max_bytes and stats_keep_boots, under the
// KMODX_* variables (kmodx::config(), docs/dedup.md "Settings").
#include <kmodx/config.hpp>
#include <kmodx/stats.hpp>

namespace kmodx::stats {

StoreSettings store_settings_from_env() {
    const Config c = config();
    StoreSettings s;
    s.runtime_dir = c.runtime_dir;
    s.state_dir = c.state_dir;
    s.max_bytes = c.stats_max_bytes;
    s.keep_boots = c.stats_keep_boots;
    return s;
}

}  // namespace kmodx::stats
