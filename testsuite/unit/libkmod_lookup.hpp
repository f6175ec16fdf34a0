// SPDX-License-Identifier: LGPL-2.1-or-later
// libkmod's own answer to a lookup, for tests and fuzz targets that check
// kmodx's index readers against it.
#pragma once

#include <libkmod.h>

#include <optional>
#include <string>
#include <vector>

namespace kmodx::test {

// The module names kmod_module_new_from_lookup() lists for NAME in the module
// directory DIR, read without any modprobe.d configuration; nullopt when
// libkmod fails.
inline std::optional<std::vector<std::string>> libkmod_lookup(const std::string& dir, const std::string& name) {
    const char* no_config[] = {nullptr};
    kmod_ctx* ctx = kmod_new(dir.c_str(), no_config);
    if (!ctx) return std::nullopt;
    kmod_set_log_priority(ctx, 0);
    kmod_list* list = nullptr;
    const int err = kmod_module_new_from_lookup(ctx, name.c_str(), &list);
    std::vector<std::string> names;
    kmod_list* l;
    kmod_list_foreach(l, list) {
        kmod_module* m = kmod_module_get_module(l);
        names.emplace_back(kmod_module_get_name(m));
        kmod_module_unref(m);
    }
    kmod_module_unref_list(list);
    kmod_unref(ctx);
    if (err < 0) return std::nullopt;
    return names;
}

}  // namespace kmodx::test
