// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe --stats / --stats-reset / --stats-archive: the stats store
// without a libkmod context. --stats only reads, so any user may
// run it; reset and archive write, and the store refuses non-root writers.
#include <kmodx/log.hpp>
#include <kmodx/modprobe.hpp>
#include <kmodx/stats.hpp>
#include <kmodx/stats_report.hpp>

#include "stats/deferred_footprint.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

namespace kmodx::modprobe {
namespace {

// One boot's events and summary: the running boot's with its deferred
// footprints filled in and the kernel's own figures beside them.
struct ReadBoot {
    stats::BootEvents events;
    stats::Summary summary;
};

std::optional<ReadBoot> read_boot(const stats::Store& store, int index) {
    auto boot = store.read(index);
    if (!boot) {
        // Earlier boots exist only where the archive service kept them:
        // say so, rather than leave the admin with a missing directory.
        if (boot.error().code == ENOENT && index < 0)
            KMODX_ERR(
                "no stats for boot %d: %s (earlier boots are kept by kmodx-stats-archive.service: "
                "systemctl enable --now kmodx-stats-archive.service)\n",
                index, boot.error().message().c_str());
        else KMODX_ERR("could not read the stats of boot %d: %s\n", index, boot.error().message().c_str());
        return std::nullopt;
    }
    // This boot's loads of files the kernel decompressed were recorded
    // without their size (stats/deferred_footprint.hpp); its files are here.
    if (index == 0) stats::fill_deferred_footprints(boot->events, stats::running_module_dir());
    stats::Summary s = stats::summarize(*boot, index);
    // The kernel's figures describe the running kernel: beside this boot only.
    if (index == 0)
        if (auto k = stats::read_kernel_debugfs()) s.kernel = std::move(*k);
    return ReadBoot{std::move(*boot), std::move(s)};
}

int write_out(const std::string& out) {
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
        KMODX_ERR("could not write the stats: %m\n");
        return 1;
    }
    return 0;
}

int report(const stats::Store& store, const Options& opts) {
    auto read = read_boot(store, opts.stats_boot);
    if (!read) return 1;
    const stats::Summary& s = read->summary;
    const stats::BootEvents* boot = &read->events;
    if (opts.stats_compare) {
        auto other = read_boot(store, *opts.stats_compare);
        if (!other) return 1;
        const stats::Comparison c = stats::compare(s, other->summary);
        return write_out(opts.stats_format == StatsFormat::Json ? stats::render_compare_json(c)
                                                                : stats::render_compare_text(c));
    }
    std::string out;
    switch (opts.stats_format) {
        case StatsFormat::Text: out = stats::render_text(s); break;
        case StatsFormat::Json: out = stats::render_json(s); break;
        case StatsFormat::Prometheus: out = stats::render_prometheus(s); break;
        case StatsFormat::Explain: out = stats::render_explain(s); break;
        case StatsFormat::Html: out = stats::render_html(s, *boot); break;
        case StatsFormat::Svg: out = stats::render_svg(*boot); break;
    }
    return write_out(out);
}

}  // namespace

int stats_command(const Options& opts) {
    // Said up front: the store's own refusal names a temporary file, not why.
    if ((opts.action == Action::StatsReset || opts.action == Action::StatsArchive) && ::geteuid() != 0) {
        KMODX_ERR("%s needs root: the stats store is root's (run it with sudo)\n",
                  opts.action == Action::StatsReset ? "--stats-reset" : "--stats-archive");
        return 1;
    }
    stats::Store store(stats::store_settings_from_env());
    switch (opts.action) {
        case Action::StatsReset:
            if (auto st = store.reset(); !st) {
                KMODX_ERR("could not reset the stats store: %s\n", st.error().message().c_str());
                return 1;
            }
            return 0;
        case Action::StatsArchive:
            if (auto st = store.archive(); !st) {
                KMODX_ERR("could not archive this boot's stats: %s\n", st.error().message().c_str());
                return 1;
            }
            return 0;
        default: return report(store, opts);
    }
}

}  // namespace kmodx::modprobe
