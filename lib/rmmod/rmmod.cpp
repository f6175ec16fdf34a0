// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/kmod_compat.hpp>
#include <kmodx/kmod_handles.hpp>
#include <kmodx/log.hpp>
#include <kmodx/rmmod.hpp>

#include "stats/load_event.hpp"
#include "stats/recorder.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kmodx::rmmod {

Verdict check_removable(Kernel& kernel, std::string_view name, bool builtin, const HoldersFn& holders) {
    using Kind = Verdict::Kind;
    if (builtin) return {Kind::Builtin, {}};
    if (kernel.module_state(name) == ModuleState::Absent) return {Kind::NotLoaded, {}};
    std::vector<std::string> held;
    if (holders) {
        held = holders(name);
    } else if (auto h = kernel.holders(name)) {
        held = std::move(*h);
    }
    if (!held.empty()) return {Kind::HeldBy, std::move(held)};
    auto rc = kernel.refcount(name);
    if (rc && *rc > 0) return {Kind::InUse, {}};
    if (!rc) return {rc.error().code == ENOENT ? Kind::UnloadUnsupported : Kind::RefcountUnreadable, {}};
    return {};
}

std::string refusal_text(const Verdict& v, std::string_view name) {
    using Kind = Verdict::Kind;
    using messages::Refusal;
    switch (v.kind) {
        case Kind::Builtin: return messages::removal_refused(messages::Tool::Rmmod, Refusal::Builtin, name);
        case Kind::NotLoaded: return messages::removal_refused(messages::Tool::Rmmod, Refusal::NotLoaded, name);
        case Kind::HeldBy: return messages::removal_refused(messages::Tool::Rmmod, Refusal::InUse, name, v.holders);
        case Kind::InUse: return messages::removal_refused(messages::Tool::Rmmod, Refusal::InUse, name);
        case Kind::UnloadUnsupported: return "Module unloading is not supported\n";
        case Kind::Removable:
        case Kind::RefcountUnreadable: break;
    }
    return {};
}

unsigned delete_flags(bool force) { return O_NONBLOCK | (force ? O_TRUNC : 0); }

namespace {

// The kernel's MODULE_NAME_LEN (64) minus the terminating NUL and padding.
constexpr std::size_t kMaxModuleName = 55;

void report_refusal(const Verdict& v, std::string_view name) {
    const std::string text = refusal_text(v, name);
    if (text.empty()) return;
    // kmod 34.2 (commit a6f9cd0 and Debian 13's da2654b) logs the whole
    // line, so under -s the holder names go to syslog with it.
    if (kmod34 || v.kind != Verdict::Kind::HeldBy || !log::using_syslog()) {
        KMODX_ERR("%s", text.c_str());
        return;
    }
    // kmod 30 logs the head and writes the holder names to stderr itself, so
    // under -s the names still land on stderr.
    const std::string head = text.substr(0, text.find(':') + 1);
    KMODX_ERR("%s", head.c_str());
    std::string tail;
    for (const auto& h : v.holders) tail += " " + h;
    std::fprintf(stderr, "%s\n", tail.c_str());
}

// Holders as libkmod lists them: directory order, and its own diagnostic
// when the directory is missing, both as kmod's rmmod shows them.
std::vector<std::string> libkmod_holders(kmod_module* mod) {
    std::vector<std::string> out;
    ModuleList list(kmod_module_get_holders(mod));
    for (kmod_list* it = list.get(); it; it = kmod_list_next(list.get(), it))
        out.emplace_back(kmod_module_get_name(module_of(it).get()));
    return out;
}

void record_removal(const std::string& name, int err, std::string taint) {
    stats::Event e =
        stats::simple_event("rmmod", name, err ? stats::Outcome::FailedRemove : stats::Outcome::Removed, err);
    e.taint = std::move(taint);
    stats::record(std::move(e));
}

// Failure count for one argument; stop is set when kmod would leave its loop.
int remove_one(Kernel& kernel, kmod_ctx* ctx, const std::string& arg, bool force, bool& stop) {
    kmod_module* raw = nullptr;
    struct stat st;
    int err = ::stat(arg.c_str(), &st) == 0 ? kmod_module_new_from_path(ctx, arg.c_str(), &raw)
                                            : kmod_module_new_from_name(ctx, arg.c_str(), &raw);
    ModulePtr mod(raw);
    if (err < 0) {
        // kmod stops here without counting a failure.
        KMODX_ERR("could not use module %s: %s\n", arg.c_str(), std::strerror(-err));
        stop = true;
        return 0;
    }
    const std::string name = kmod_module_get_name(mod.get());
    if (!force) {
        // Builtins are libkmod's to know (modules.builtin), the rest the
        // kernel's. libkmod 30's initstate overflows a stack buffer for names
        // near PATH_MAX (stock rmmod aborts); no such name can be builtin.
        const bool builtin =
            name.size() <= kMaxModuleName && kmod_module_get_initstate(mod.get()) == KMOD_MODULE_BUILTIN;
        Verdict v =
            check_removable(kernel, name, builtin, [&](std::string_view) { return libkmod_holders(mod.get()); });
        if (v.kind != Verdict::Kind::Removable) {
            report_refusal(v, name);
            return 1;
        }
    }
    // Read before the module goes: its taint dies with it.
    std::string taint;
    if (auto text = kernel.proc_modules()) taint = stats::taint_of(*text, name);
    auto r = kernel.delete_module(name, delete_flags(force));
    record_removal(name, r ? 0 : r.error().code, std::move(taint));
    if (!r) {
        // libkmod's own line (worded like modprobe's) precedes rmmod's.
        const int code = r.error().code;
        KMODX_ERR("%s", messages::libkmod_remove_failed(name, code).c_str());
        KMODX_ERR("%s", messages::remove_failed(messages::Tool::Rmmod, arg, code).c_str());
        return 1;
    }
    return 0;
}

}  // namespace

int run(Kernel& kernel, const Options& opts) {
    log::open(opts.syslog);
    log::set_priority(LOG_ERR + opts.verbose);
    int failures = 0;
    if (opts.targets.empty()) {
        KMODX_ERR("missing module name.\n");
        failures = 1;
    } else {
        const char* no_config = nullptr;
        CtxPtr ctx(kmod_new(nullptr, &no_config));
        if (!ctx) {
            KMODX_ERR("kmod_new() failed!\n");
            failures = 1;
        } else {
            log::attach(ctx.get());
            bool stop = false;
            for (const auto& t : opts.targets) {
                failures += remove_one(kernel, ctx.get(), t, opts.force, stop);
                if (stop) break;
            }
        }
    }
    log::close();
    return messages::exit_status(failures == 0);
}

}  // namespace kmodx::rmmod
