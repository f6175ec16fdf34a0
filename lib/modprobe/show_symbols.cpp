// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe --show-exports and --show-modversions FILE: the symbols FILE
// exports, or the symbol versions it needs, each with its CRC. Both read one
// list of the module at that path and print it the same way.
#include "modprobe/fatal_log.hpp"

#include <kmodx/kmod_handles.hpp>
#include <kmodx/messages.hpp>
#include <kmodx/modprobe.hpp>

#include <cinttypes>
#include <cstdio>
#include <memory>

namespace kmodx::modprobe {
namespace {

// libkmod's accessors for one kind of symbol list.
struct SymbolListKind {
    messages::ModuleFact fact;
    int (*get)(const kmod_module*, kmod_list**);
    std::uint64_t (*crc)(const kmod_list*);
    const char* (*symbol)(const kmod_list*);
    void (*free)(kmod_list*);
};

int show_symbol_list(kmod_ctx* ctx, const Options& opts, const SymbolListKind& kind) {
    const int prio = action_log_priority(opts.all);
    const char* file = opts.args.empty() ? "" : opts.args.front().c_str();

    kmod_module* raw = nullptr;
    if (kmod_module_new_from_path(ctx, file, &raw) < 0) {
        action_log(prio, "%s", messages::module_not_found(file).c_str());
        return 1;
    }
    ModulePtr mod(raw);

    kmod_list* list = nullptr;
    const int err = kind.get(mod.get(), &list);
    std::unique_ptr<kmod_list, void (*)(kmod_list*)> owned(list, kind.free);
    if (err < 0) {
        action_log(prio, "%s", messages::fact_unavailable(kind.fact, file, -err).c_str());
        return 1;
    }
    kmod_list* l;
    kmod_list_foreach(l, owned.get()) { std::printf("0x%08" PRIx64 "\t%s\n", kind.crc(l), kind.symbol(l)); }
    return 0;
}

}  // namespace

int show_exports(kmod_ctx* ctx, const Options& opts) {
    static constexpr SymbolListKind kExports{messages::ModuleFact::Symbols, kmod_module_get_symbols,
                                             kmod_module_symbol_get_crc, kmod_module_symbol_get_symbol,
                                             kmod_module_symbols_free_list};
    return show_symbol_list(ctx, opts, kExports);
}

int show_modversions(kmod_ctx* ctx, const Options& opts) {
    static constexpr SymbolListKind kModversions{messages::ModuleFact::Modversions, kmod_module_get_versions,
                                                 kmod_module_version_get_crc, kmod_module_version_get_symbol,
                                                 kmod_module_versions_free_list};
    return show_symbol_list(ctx, opts, kModversions);
}

}  // namespace kmodx::modprobe
