// modprobe -D: what loading a module would do, dependencies and softdeps
// included, whether or not they are loaded already.
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

int probe_flags(const Options& opts) {
    int flags = KMOD_PROBE_IGNORE_LOADED | KMOD_PROBE_DRY_RUN |
                KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY;
    if (opts.force_modversion || opts.force) flags |= KMOD_PROBE_FORCE_MODVERSION;
    if (opts.force_vermagic || opts.force) flags |= KMOD_PROBE_FORCE_VERMAGIC;
    if (opts.ignore_install) flags |= KMOD_PROBE_IGNORE_COMMAND;
    if (opts.use_blacklist) flags |= KMOD_PROBE_APPLY_BLACKLIST;
    if (opts.first_time) flags |= KMOD_PROBE_FAIL_ON_LOADED;
    return flags;
}

}  // namespace

int show_depends(kmod_ctx* ctx, const Options& opts) {
    const int flags = probe_flags(opts);
    return for_each_target(ctx, opts, [flags](kmod_module* mod, const char* extra) {
        const int err = kmod_module_probe_insert_module(mod, flags, extra, nullptr, nullptr,
                                                        print_action);
        // Positive values only say why nothing happened (blacklisted...).
        if (err >= 0) return 0;
        KMODX_ERR("%s", messages::insert_failed(messages::Tool::Modprobe,
                                                kmod_module_get_name(mod), -err)
                            .c_str());
        return err;
    });
}

}  // namespace kmodx::modprobe
