// SPDX-License-Identifier: LGPL-2.1-or-later
// The libkmod context as kmod 30's modprobe builds it, and the dispatch to
// the action the options chose (kmod's precedence: -c, --show-modversions,
// --show-exports, -r, then the insert family where -R and -D live).
#include <kmodx/log.hpp>
#include <kmodx/modprobe.hpp>

#include "modprobe/kernel_call.hpp"

#include <linux/limits.h>
#include <sys/utsname.h>

#include <cstring>

namespace kmodx::modprobe {

Result<CtxPtr> make_context(const Options& opts) {
    std::string dirname;
    if (!opts.dirname.empty() || !opts.kversion.empty()) {
        std::string kver = opts.kversion;
        if (kver.empty()) {
            struct utsname u;
            if (::uname(&u) < 0) {
                KMODX_ERR("uname() failed: %s\n", std::strerror(errno));
                return failure_errno("uname");
            }
            kver = u.release;
        }
        dirname = opts.dirname + "/lib/modules/" + kver;
        // kmod formats into a PATH_MAX buffer: longer names are cut there.
        if (dirname.size() > PATH_MAX - 1) dirname.resize(PATH_MAX - 1);
    }

    std::vector<const char*> configs;
    for (const auto& c : opts.config_paths) configs.push_back(c.c_str());
    configs.push_back(nullptr);

    CtxPtr ctx(
        kmod_new(dirname.empty() ? nullptr : dirname.c_str(), opts.config_paths.empty() ? nullptr : configs.data()));
    if (!ctx) {
        KMODX_ERR("kmod_new() failed!\n");
        return failure(ENOMEM, "kmod_new");
    }
    log::attach(ctx.get());
    // kmod maps all five indexes up front. The kernel's autoload call
    // (`modprobe -q -- NAME`, one name) mostly finds NAME live after one
    // modules.dep lookup, so there libkmod reads just the index nodes it needs;
    // the answers are the same, since libkmod falls back to reading the files.
    if (opts.action != Action::Insert || opts.all) kmod_load_resources(ctx.get());
    return ctx;
}

int run(const Options& opts, Kernel& kernel) {
    // Before anything can warn: kmodx.conf is read on first use, from the
    // answers below as from libkmod's path, and -q silences it on both.
    log::set_priority(opts.verbosity);
    switch (opts.action) {
        case Action::Stats:
        case Action::StatsReset:
        case Action::StatsArchive: return stats_command(opts);
        default: break;
    }
    if (auto status = answer_kernel_call(opts, kernel)) return *status;
    auto ctx = make_context(opts);
    if (!ctx) return 1;
    kmod_ctx* c = ctx->get();
    switch (opts.action) {
        case Action::ShowConfig: return show_config(c);
        case Action::ShowModversions: return show_modversions(c, opts);
        case Action::ShowExports: return show_exports(c, opts);
        case Action::Remove: return remove_modules(c, opts, kernel);
        case Action::ResolveAlias: return resolve_alias(c, opts);
        case Action::ShowDepends: return show_depends(c, opts);
        case Action::Insert:
        case Action::Stats:
        case Action::StatsReset:
        case Action::StatsArchive: break;
    }
    return insert_modules(c, opts, kernel);
}

}  // namespace kmodx::modprobe
