// SPDX-License-Identifier: LGPL-2.1-or-later
// The ordered plan of one probe, computed by libkmod itself so the order,
// option merging, softdep handling (loops included), blacklist and
// already-loaded checks are exactly kmod's: a dry run whose print_action
// callback records each module it would have inserted.
#include "modprobe/insert.hpp"

#include <syslog.h>

#include <set>

namespace kmodx::modprobe {
namespace {

// print_action carries no user data; libkmod contexts are single-threaded,
// so one collector per thread is enough.
thread_local std::vector<Step>* t_steps = nullptr;

void record_action(kmod_module* m, bool install, const char* options) {
    if (!t_steps) return;
    Step s;
    s.name = kmod_module_get_name(m);
    if (const char* p = kmod_module_get_path(m)) s.path = p;
    if (install) {
        const char* cmd = kmod_module_get_install_commands(m);
        s.install = cmd ? cmd : "";
    }
    s.options = options ? options : "";
    t_steps->push_back(std::move(s));
}

}  // namespace

int probe_flags(const Options& opts) {
    int flags = 0;
    if (opts.force_modversion) flags |= KMOD_PROBE_FORCE_MODVERSION;
    if (opts.force_vermagic) flags |= KMOD_PROBE_FORCE_VERMAGIC;
    if (opts.ignore_install) flags |= KMOD_PROBE_IGNORE_COMMAND;
    if (opts.ignore_loaded) flags |= KMOD_PROBE_IGNORE_LOADED;
    if (opts.dry_run) flags |= KMOD_PROBE_DRY_RUN;
    // Without -b a blacklist entry only stops names reached through an alias.
    flags |= KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY;
    if (opts.use_blacklist) flags |= KMOD_PROBE_APPLY_BLACKLIST;
    if (opts.first_time) flags |= KMOD_PROBE_FAIL_ON_LOADED;
    return flags;
}

Plan plan_probe(kmod_ctx* ctx, kmod_module* mod, int flags, const std::string& extra_options) {
    Plan plan;
    t_steps = &plan.steps;
    plan.status = kmod_module_probe_insert_module(mod, static_cast<unsigned>(flags) | KMOD_PROBE_DRY_RUN,
                                                  extra_options.empty() ? nullptr : extra_options.c_str(), nullptr,
                                                  nullptr, record_action);
    t_steps = nullptr;
    if (plan.steps.empty()) return plan;

    // libkmod's "required": the target and everything modules.dep says it
    // needs; failures of anything else (softdeps and their deps) are ignored.
    // libkmod already said what was wrong with modules.dep during the dry
    // run (a dependency whose file is missing, say); asking again must not
    // repeat it, since kmod asks only once.
    std::set<std::string> required{kmod_module_get_name(mod)};
    const int prio = kmod_get_log_priority(ctx);
    kmod_set_log_priority(ctx, LOG_EMERG);
    ModuleList deps(kmod_module_get_dependencies(mod));
    kmod_set_log_priority(ctx, prio);
    kmod_list* l;
    kmod_list_foreach(l, deps.get()) {
        ModulePtr d = module_of(l);
        required.insert(kmod_module_get_name(d.get()));
    }
    const std::string target = kmod_module_get_name(mod);
    for (auto& s : plan.steps) {
        s.required = required.contains(s.name);
        s.target = s.name == target;
    }
    return plan;
}

}  // namespace kmodx::modprobe
