// SPDX-License-Identifier: LGPL-2.1-or-later
// The frame kmod 30's modprobe puts around -R and -D (its insmod path): each
// argument with -a, else the first one with the rest as module parameters,
// looked up through aliases, complaining about names that match nothing.
#pragma once

#include "modprobe/fatal_log.hpp"

#include <kmodx/kmod_handles.hpp>
#include <kmodx/messages.hpp>
#include <kmodx/modprobe.hpp>

#include <cerrno>
#include <string>

namespace kmodx::modprobe {

// fn(kmod_module*, const char* extra_options) returns 0 or a negative errno
// (kmod's convention, so results combine as in kmod). Returns the exit status.
template <class Fn>
int for_each_target(kmod_ctx* ctx, const Options& opts, Fn fn) {
    const int prio = action_log_priority(opts.all);
    bool stopped = false;

    auto one = [&](const std::string& name, const char* extra) -> int {
        kmod_list* raw = nullptr;
        const int err = kmod_module_new_from_lookup(ctx, name.c_str(), &raw);
        ModuleList list(raw);
        if (!list || err < 0) {
            stopped = action_log(prio, "%s", messages::module_not_found_in(name, kmod_get_dirname(ctx)).c_str());
            return -ENOENT;
        }
        int result = 0;
        kmod_list* l;
        kmod_list_foreach(l, list.get()) {
            ModulePtr mod = module_of(l);
            result = fn(mod.get(), extra);
        }
        return result;
    };

    if (opts.args.empty()) return 1;
    int err = 0;
    if (opts.all) {
        for (const auto& name : opts.args) {
            const int r = one(name, nullptr);
            if (r < 0) err = r;
            if (stopped) return 1;
        }
    } else {
        err = one(opts.args.front(), opts.extra_options.empty() ? nullptr : opts.extra_options.c_str());
    }
    return err < 0 ? 1 : 0;
}

}  // namespace kmodx::modprobe
