// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe NAME [PARAMS...] / modprobe -a NAME...: kmod 30's insmod() and
// insmod_insert(), with the insertion itself done by kmodx.
#include "modprobe/fatal_log.hpp"
#include "modprobe/insert.hpp"

#include <kmodx/log.hpp>
#include <kmodx/messages.hpp>

#include "stats/load_event.hpp"
#include "stats/recorder.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kmodx::modprobe {
namespace {

struct NameResult {
    int err = 0;
    bool stop = false;  // kmod would have exited on a FATAL message here
};

}  // namespace

bool target_without_step(const Plan& plan) {
    return std::none_of(plan.steps.begin(), plan.steps.end(), [](const Step& s) { return s.target; });
}

namespace {

// What libkmod's plan alone answers: a blacklist stopped the load, or the
// module was live before we asked (the fast path: no step to run). A module
// without a file that yields no step is builtin, not something loaded.
void record_plan(kmod_module* mod, const Plan& plan, const Options& opts) {
    using stats::Outcome;
    const char* name = kmod_module_get_name(mod);
    if (plan.status > 0) {
        stats::record(stats::simple_event("modprobe", name, Outcome::Blacklisted));
    } else if (target_without_step(plan) && kmod_module_get_path(mod) != nullptr) {
        if (plan.status == 0 || (plan.status == -EEXIST && opts.first_time))
            stats::record(stats::simple_event("modprobe", name, Outcome::AlreadyLive, -plan.status));
    }
}

}  // namespace

int insert_one(kmod_ctx* ctx, kmod_module* mod, const Options& opts, Kernel& kernel, const std::string& extra) {
    Plan plan = plan_probe(ctx, mod, probe_flags(opts), extra);
    if (!opts.dry_run) record_plan(mod, plan, opts);
    return carry_out(plan, kmod_module_get_name(mod), opts, kernel);
}

namespace {

NameResult insert_name(kmod_ctx* ctx, const std::string& name, const Options& opts, Kernel& kernel,
                       const std::string& extra) {
    const int prio = action_log_priority(opts.all);
    // Paths are accepted as kmod 31 does: "/..." or "./...".
    if (name.starts_with("/") || name.starts_with("./")) {
        kmod_module* raw = nullptr;
        int err = kmod_module_new_from_path(ctx, name.c_str(), &raw);
        if (err < 0) {
            bool stop = action_log(prio, "Failed to get module from path %s: %s\n", name.c_str(), std::strerror(-err));
            return {-ENOENT, stop};
        }
        ModulePtr mod(raw);
        return {insert_one(ctx, mod.get(), opts, kernel, extra), false};
    }

    kmod_list* raw = nullptr;
    int err = kmod_module_new_from_lookup(ctx, name.c_str(), &raw);
    ModuleList list(raw);
    if (err < 0 || !list) {
        if (!opts.dry_run) stats::record_not_found("modprobe", name);
        const char* dir = kmod_get_dirname(ctx);
        bool stop = action_log(prio, "%s", messages::module_not_found_in(name, dir ? dir : "(missing)").c_str());
        return {-ENOENT, stop};
    }
    // An alias may stand for several modules: each is probed, the last
    // result counts (kmod's behaviour).
    kmod_list* l;
    kmod_list_foreach(l, list.get()) {
        ModulePtr mod = module_of(l);
        err = insert_one(ctx, mod.get(), opts, kernel, extra);
    }
    return {err, false};
}

}  // namespace

int carry_out(const Plan& plan, const std::string& name, const Options& opts, Kernel& kernel) {
    const bool show = opts.show || opts.verbosity > LOG_WARNING;
    int err = plan.status;
    if (err >= 0) {
        // A positive status means blacklisted: nothing to do, not an error.
        err = 0;
        if (opts.dry_run) {
            if (show)
                for (const auto& s : plan.steps) std::fputs(StepRunner::action_line(s).c_str(), stdout);
        } else if (!plan.steps.empty()) {
            StepSettings settings{opts.first_time, opts.force_vermagic, opts.force_modversion, show};
            settings.dedup = !opts.no_dedup;
            settings.quiet = opts.verbosity < LOG_WARNING;
            settings.record = true;
            err = StepRunner(kernel, settings).run(plan.steps);
        }
    }
    if (err < 0) KMODX_ERR("%s", messages::insert_failed(messages::Tool::Modprobe, name.c_str(), -err).c_str());
    return err;
}

int insert_modules(kmod_ctx* ctx, const Options& opts, Kernel& kernel) {
    if (!opts.all) {
        if (opts.args.empty()) return 1;
        NameResult r = insert_name(ctx, opts.args.front(), opts, kernel, opts.extra_options);
        return r.err < 0 ? 1 : 0;
    }
    int err = 0;
    for (const auto& name : opts.args) {
        NameResult r = insert_name(ctx, name, opts, kernel, {});
        if (r.stop) return 1;
        if (r.err < 0) err = r.err;
    }
    return err < 0 ? 1 : 0;
}

}  // namespace kmodx::modprobe
