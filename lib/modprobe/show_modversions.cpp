// modprobe --show-modversions FILE: the symbol versions FILE needs.
#include "modprobe/fatal_log.hpp"

#include <kmodx/kmod_handles.hpp>
#include <kmodx/modprobe.hpp>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace kmodx::modprobe {

int show_modversions(kmod_ctx* ctx, const Options& opts) {
    const int prio = action_log_priority(opts.all);
    const char* file = opts.args.empty() ? "" : opts.args.front().c_str();

    kmod_module* raw = nullptr;
    if (kmod_module_new_from_path(ctx, file, &raw) < 0) {
        action_log(prio, "Module %s not found.\n", file);
        return 1;
    }
    ModulePtr mod(raw);

    kmod_list* list = nullptr;
    const int err = kmod_module_get_versions(mod.get(), &list);
    VersionsList versions(list);
    if (err < 0) {
        action_log(prio, "could not get modversions of %s: %s\n", file, std::strerror(-err));
        return 1;
    }
    kmod_list* l;
    kmod_list_foreach(l, versions.get()) {
        std::printf("0x%08" PRIx64 "\t%s\n", kmod_module_version_get_crc(l),
                    kmod_module_version_get_symbol(l));
    }
    return 0;
}

}  // namespace kmodx::modprobe
