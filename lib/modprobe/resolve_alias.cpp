// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe -R: the module names an alias stands for, one per line.
#include "modprobe/lookup_targets.hpp"

#include <cstdio>

namespace kmodx::modprobe {

int resolve_alias(kmod_ctx* ctx, const Options& opts) {
    return for_each_target(ctx, opts, [](kmod_module* mod, const char*) {
        std::printf("%s\n", kmod_module_get_name(mod));
        return 0;
    });
}

}  // namespace kmodx::modprobe
