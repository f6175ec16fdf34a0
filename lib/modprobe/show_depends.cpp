// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe -D: what loading a module would do, dependencies and softdeps
// included, whether or not they are loaded already.
#include "modprobe/insert.hpp"
#include "modprobe/lookup_targets.hpp"

#include <kmodx/log.hpp>
#include <kmodx/messages.hpp>

#include <cstdio>

namespace kmodx::modprobe {

namespace {

// Both trailing spaces of an empty option string are part of kmod's output.
void print_action(kmod_module* m, bool install, const char* options) {
    if (install) {
        std::printf("install %s %s\n", kmod_module_get_install_commands(m), options);
        return;
    }
    const char* path = kmod_module_get_path(m);
    if (path) {
        std::printf("insmod %s %s\n", path, options);
    } else if (kmod_module_get_initstate(m) == KMOD_MODULE_BUILTIN) {
        // A module without a file is either builtin or an unresolved name.
        std::printf("builtin %s\n", kmod_module_get_name(m));
    }
}

}  // namespace

int show_depends(kmod_ctx* ctx, const Options& opts) {
    // The insert's own flags (modprobe/insert.hpp), as a dry run that lists
    // loaded modules too, as kmod's -D does.
    const int flags = probe_flags(opts) | KMOD_PROBE_IGNORE_LOADED | KMOD_PROBE_DRY_RUN;
    return for_each_target(ctx, opts, [flags](kmod_module* mod, const char* extra) {
        const int err = kmod_module_probe_insert_module(mod, flags, extra, nullptr, nullptr, print_action);
        // Positive values only say why nothing happened (blacklisted...).
        if (err >= 0) return 0;
        KMODX_ERR("%s", messages::insert_failed(messages::Tool::Modprobe, kmod_module_get_name(mod), -err).c_str());
        return err;
    });
}

}  // namespace kmodx::modprobe
