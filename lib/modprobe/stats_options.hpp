// SPDX-License-Identifier: LGPL-2.1-or-later
// kmodx's stats options on modprobe's command line: --stats[=FORMAT],
// --boot=N, --explain, --compare[=N], --stats-reset, --stats-archive. They are taken out of the words
// before getopt sees them, and only when spelled in full: kept out of
// getopt's table, they cannot turn an abbreviation that kmod rejects (--st,
// --b) into something else nor change getopt's ambiguity messages.
#pragma once

#include <kmodx/modprobe.hpp>

#include <getopt.h>

#include <optional>
#include <string>
#include <vector>

namespace kmodx::modprobe {

struct StatsWords {
    int actions = 0;                // how many of --stats, --stats-reset, --stats-archive
    Action action = Action::Stats;  // the last of them
    StatsFormat format = StatsFormat::Text;
    bool boot_given = false;
    bool explain = false;  // --explain: findings instead of tables (with --stats)
    int boot = 0;
    std::optional<int> compare;  // --compare[=N]: the boot to compare with (default -1)
    std::string error;  // one line ending in '\n'; empty when fine
};

// Removes the stats options from words[1..]. Words that are the value of an
// option of kmod's (-C FILE, --config FILE, --conf FILE, -qC FILE ...) and
// everything after "--" are left alone, as getopt would read them.
StatsWords take_stats_options(std::vector<std::string>& words, const char* short_options,
                              const struct option* long_options);

}  // namespace kmodx::modprobe
