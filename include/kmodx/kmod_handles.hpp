// SPDX-License-Identifier: LGPL-2.1-or-later
// RAII owners for libkmod handles. libkmod hands out new references from most
// getters (kmod_module_get_module, kmod_module_new_from_*); wrap them at once.
#pragma once

#include <libkmod.h>

#include <memory>

namespace kmodx {

struct CtxUnref {
    void operator()(kmod_ctx* c) const noexcept { kmod_unref(c); }
};
struct ModuleUnref {
    void operator()(kmod_module* m) const noexcept { kmod_module_unref(m); }
};
// A list of modules owns a reference to each element.
struct ModuleListUnref {
    void operator()(kmod_list* l) const noexcept { kmod_module_unref_list(l); }
};
struct InfoListFree {
    void operator()(kmod_list* l) const noexcept { kmod_module_info_free_list(l); }
};
struct VersionsListFree {
    void operator()(kmod_list* l) const noexcept { kmod_module_versions_free_list(l); }
};
struct SymbolsListFree {
    void operator()(kmod_list* l) const noexcept { kmod_module_symbols_free_list(l); }
};
struct DependencySymbolsListFree {
    void operator()(kmod_list* l) const noexcept { kmod_module_dependency_symbols_free_list(l); }
};
struct ConfigIterFree {
    void operator()(kmod_config_iter* i) const noexcept { kmod_config_iter_free_iter(i); }
};

using CtxPtr = std::unique_ptr<kmod_ctx, CtxUnref>;
using ModulePtr = std::unique_ptr<kmod_module, ModuleUnref>;
using ModuleList = std::unique_ptr<kmod_list, ModuleListUnref>;
using InfoList = std::unique_ptr<kmod_list, InfoListFree>;
using VersionsList = std::unique_ptr<kmod_list, VersionsListFree>;
using SymbolsList = std::unique_ptr<kmod_list, SymbolsListFree>;
using DependencySymbolsList = std::unique_ptr<kmod_list, DependencySymbolsListFree>;
using ConfigIter = std::unique_ptr<kmod_config_iter, ConfigIterFree>;

// A new reference to the module stored in a list entry.
inline ModulePtr module_of(kmod_list* entry) { return ModulePtr(kmod_module_get_module(entry)); }

}  // namespace kmodx
