// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe's library side. tools/modprobe.cpp turns argv (with
// MODPROBE_OPTIONS prepended) into Options and calls run(); each action
// lives in its own file under lib/modprobe/.
#pragma once

#include <kmodx/kernel.hpp>
#include <kmodx/kmod_handles.hpp>

#include <optional>
#include <string>
#include <vector>

namespace kmodx::modprobe {

enum class Action {
    Insert,           // default
    Remove,           // -r
    ShowConfig,       // -c
    ShowDepends,      // -D
    ResolveAlias,     // -R
    ShowModversions,  // --show-modversions / --dump-modversions
    ShowExports,      // --show-exports
    // kmodx only (docs/stats.md), never reached by a kmod command line:
    Stats,         // --stats[=FORMAT]
    StatsReset,    // --stats-reset
    StatsArchive,  // --stats-archive
};

enum class StatsFormat { Text, Json, Prometheus, Explain, Html, Svg };

struct Options {
    Action action = Action::Insert;
    bool all = false;                       // -a
    bool remove_holders = false;            // --remove-holders / --remove-dependencies? (see kmod)
    bool remove_dependencies = false;       // --remove-dependencies
    unsigned wait_msec = 0;                 // -w
    bool first_time = false;                // --first-time
    bool ignore_install = false;            // -i / --ignore-install
    bool ignore_remove = false;             // -i / --ignore-remove
    bool use_blacklist = false;             // -b
    bool force_vermagic = false;            // --force-vermagic / -f
    bool force_modversion = false;          // --force-modversion / -f
    bool dry_run = false;                   // -n
    bool use_syslog = false;                // -s
    int verbosity = 0;                      // LOG_* threshold after -v/-q (see log.hpp)
    bool quiet = false;                     // -q
    std::vector<std::string> config_paths;  // -C (may repeat)
    std::string dirname;                    // -d: root prefix ("" = /)
    std::string kversion;                   // -S ("" = uname -r)
    std::vector<std::string> args;          // positional: module [params...] or modules with -a/-r
    // Added by the insert-path helper (kmod 30 semantics):
    bool force = false;                            // -f: KMOD_REMOVE_FORCE for -r; also sets force_vermagic
                                                   //     and force_modversion
    bool ignore_loaded = false;                    // -D: act as if nothing were loaded (-r -D: no refcount check)
    bool show = false;                             // -D: print actions even without -v (kmod's do_show)
    std::string extra_options;                     // args[1..] re-quoted and joined (kmod's options_from_array);
                                                   // empty with -a or -r, where every arg is a module
    bool no_dedup = false;                         // --no-dedup (kmodx only): load without kmodx::dedup locks
    StatsFormat stats_format = StatsFormat::Text;  // --stats=FORMAT (kmodx only)
    int stats_boot = 0;                            // --boot=N (kmodx only): 0 this boot, -1 the one before, ...
    std::optional<int> stats_compare;              // --compare[=N] (kmodx only): the boot to set beside it
};

// Runs the parsed command; returns the exit status (0 or 1, as kmod).
int run(const Options& opts, Kernel& kernel);

// Builds the libkmod context exactly as kmod's modprobe does for -d/-S/-C
// (dirname = DIR/lib/modules/VERSION), with logging attached.
Result<CtxPtr> make_context(const Options& opts);

// Actions (each returns an exit status).
int show_config(kmod_ctx* ctx);
int show_depends(kmod_ctx* ctx, const Options& opts);   // -D
int resolve_alias(kmod_ctx* ctx, const Options& opts);  // -R
int show_modversions(kmod_ctx* ctx, const Options& opts);
int show_exports(kmod_ctx* ctx, const Options& opts);
int insert_modules(kmod_ctx* ctx, const Options& opts, Kernel& kernel);
int remove_modules(kmod_ctx* ctx, const Options& opts, Kernel& kernel);
// --stats, --stats-reset, --stats-archive: the stats store, no libkmod context.
int stats_command(const Options& opts);

}  // namespace kmodx::modprobe
