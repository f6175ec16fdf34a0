// SPDX-License-Identifier: LGPL-2.1-or-later
// libkmod's functions as kmodx calls them, loaded on first use
// (core/lazy_lib.hpp). One line per function kmodx uses; a new call to a
// libkmod function needs its line here, or the link fails.
#include "core/lazy_lib.hpp"

#include <libkmod.h>

using kmodx::lazy::Lib;

// One line per function, its signature as the library's header declares it.
// clang-format off

KMODX_LAZY(Lib::Kmod, struct kmod_ctx *, kmod_new, (const char *dirname, const char * const *config_paths), (dirname, config_paths))
KMODX_LAZY(Lib::Kmod, struct kmod_ctx *, kmod_unref, (struct kmod_ctx *ctx), (ctx))
KMODX_LAZY(Lib::Kmod, void, kmod_set_log_fn, (struct kmod_ctx *ctx, void (*log_fn)(void *log_data, int priority, const char *file, int line, const char *fn, const char *format, va_list args), const void *data), (ctx, log_fn, data))
KMODX_LAZY(Lib::Kmod, int, kmod_get_log_priority, (const struct kmod_ctx *ctx), (ctx))
KMODX_LAZY(Lib::Kmod, void, kmod_set_log_priority, (struct kmod_ctx *ctx, int priority), (ctx, priority))
KMODX_LAZY(Lib::Kmod, const char *, kmod_get_dirname, (const struct kmod_ctx *ctx), (ctx))
KMODX_LAZY(Lib::Kmod, int, kmod_load_resources, (struct kmod_ctx *ctx), (ctx))
KMODX_LAZY(Lib::Kmod, int, kmod_dump_index, (struct kmod_ctx *ctx, enum kmod_index type, int fd), (ctx, type, fd))
KMODX_LAZY(Lib::Kmod, struct kmod_list *, kmod_list_next, (const struct kmod_list *list, const struct kmod_list *curr), (list, curr))
KMODX_LAZY(Lib::Kmod, struct kmod_config_iter *, kmod_config_get_blacklists, (const struct kmod_ctx *ctx), (ctx))
KMODX_LAZY(Lib::Kmod, struct kmod_config_iter *, kmod_config_get_install_commands, (const struct kmod_ctx *ctx), (ctx))
KMODX_LAZY(Lib::Kmod, struct kmod_config_iter *, kmod_config_get_remove_commands, (const struct kmod_ctx *ctx), (ctx))
KMODX_LAZY(Lib::Kmod, struct kmod_config_iter *, kmod_config_get_aliases, (const struct kmod_ctx *ctx), (ctx))
KMODX_LAZY(Lib::Kmod, struct kmod_config_iter *, kmod_config_get_options, (const struct kmod_ctx *ctx), (ctx))
KMODX_LAZY(Lib::Kmod, struct kmod_config_iter *, kmod_config_get_softdeps, (const struct kmod_ctx *ctx), (ctx))
#if KMODX_KMOD_COMPAT >= 34  // libkmod 33 added weakdep (modprobe -c prints them)
KMODX_LAZY(Lib::Kmod, struct kmod_config_iter *, kmod_config_get_weakdeps, (const struct kmod_ctx *ctx), (ctx))
#endif
KMODX_LAZY(Lib::Kmod, const char *, kmod_config_iter_get_key, (const struct kmod_config_iter *iter), (iter))
KMODX_LAZY(Lib::Kmod, const char *, kmod_config_iter_get_value, (const struct kmod_config_iter *iter), (iter))
KMODX_LAZY(Lib::Kmod, bool, kmod_config_iter_next, (struct kmod_config_iter *iter), (iter))
KMODX_LAZY(Lib::Kmod, void, kmod_config_iter_free_iter, (struct kmod_config_iter *iter), (iter))
KMODX_LAZY(Lib::Kmod, int, kmod_module_new_from_name, (struct kmod_ctx *ctx, const char *name, struct kmod_module **mod), (ctx, name, mod))
KMODX_LAZY(Lib::Kmod, int, kmod_module_new_from_path, (struct kmod_ctx *ctx, const char *path, struct kmod_module **mod), (ctx, path, mod))
KMODX_LAZY(Lib::Kmod, int, kmod_module_new_from_lookup, (struct kmod_ctx *ctx, const char *given_alias, struct kmod_list **list), (ctx, given_alias, list))
KMODX_LAZY(Lib::Kmod, int, kmod_module_new_from_name_lookup, (struct kmod_ctx *ctx, const char *modname, struct kmod_module **mod), (ctx, modname, mod))
KMODX_LAZY(Lib::Kmod, int, kmod_module_new_from_loaded, (struct kmod_ctx *ctx, struct kmod_list **list), (ctx, list))
KMODX_LAZY(Lib::Kmod, struct kmod_module *, kmod_module_unref, (struct kmod_module *mod), (mod))
KMODX_LAZY(Lib::Kmod, int, kmod_module_unref_list, (struct kmod_list *list), (list))
KMODX_LAZY(Lib::Kmod, struct kmod_module *, kmod_module_get_module, (const struct kmod_list *entry), (entry))
KMODX_LAZY(Lib::Kmod, int, kmod_module_remove_module, (struct kmod_module *mod, unsigned int flags), (mod, flags))
KMODX_LAZY(Lib::Kmod, int, kmod_module_probe_insert_module, (struct kmod_module *mod, unsigned int flags, const char *extra_options, int (*run_install)(struct kmod_module *m, const char *cmdline, void *data), const void *data, void (*print_action)(struct kmod_module *m, bool install, const char *options)), (mod, flags, extra_options, run_install, data, print_action))
KMODX_LAZY(Lib::Kmod, const char *, kmod_module_get_name, (const struct kmod_module *mod), (mod))
KMODX_LAZY(Lib::Kmod, const char *, kmod_module_get_path, (const struct kmod_module *mod), (mod))
KMODX_LAZY(Lib::Kmod, const char *, kmod_module_get_install_commands, (const struct kmod_module *mod), (mod))
KMODX_LAZY(Lib::Kmod, const char *, kmod_module_get_remove_commands, (const struct kmod_module *mod), (mod))
KMODX_LAZY(Lib::Kmod, struct kmod_list *, kmod_module_get_dependencies, (const struct kmod_module *mod), (mod))
KMODX_LAZY(Lib::Kmod, int, kmod_module_get_softdeps, (const struct kmod_module *mod, struct kmod_list **pre, struct kmod_list **post), (mod, pre, post))
KMODX_LAZY(Lib::Kmod, int, kmod_module_get_initstate, (const struct kmod_module *mod), (mod))
KMODX_LAZY(Lib::Kmod, int, kmod_module_get_refcnt, (const struct kmod_module *mod), (mod))
KMODX_LAZY(Lib::Kmod, struct kmod_list *, kmod_module_get_holders, (const struct kmod_module *mod), (mod))
KMODX_LAZY(Lib::Kmod, long, kmod_module_get_size, (const struct kmod_module *mod), (mod))
KMODX_LAZY(Lib::Kmod, int, kmod_module_get_info, (const struct kmod_module *mod, struct kmod_list **list), (mod, list))
KMODX_LAZY(Lib::Kmod, const char *, kmod_module_info_get_key, (const struct kmod_list *entry), (entry))
KMODX_LAZY(Lib::Kmod, const char *, kmod_module_info_get_value, (const struct kmod_list *entry), (entry))
KMODX_LAZY(Lib::Kmod, void, kmod_module_info_free_list, (struct kmod_list *list), (list))
KMODX_LAZY(Lib::Kmod, int, kmod_module_get_versions, (const struct kmod_module *mod, struct kmod_list **list), (mod, list))
KMODX_LAZY(Lib::Kmod, const char *, kmod_module_version_get_symbol, (const struct kmod_list *entry), (entry))
KMODX_LAZY(Lib::Kmod, uint64_t, kmod_module_version_get_crc, (const struct kmod_list *entry), (entry))
KMODX_LAZY(Lib::Kmod, void, kmod_module_versions_free_list, (struct kmod_list *list), (list))
KMODX_LAZY(Lib::Kmod, int, kmod_module_get_symbols, (const struct kmod_module *mod, struct kmod_list **list), (mod, list))
KMODX_LAZY(Lib::Kmod, const char *, kmod_module_symbol_get_symbol, (const struct kmod_list *entry), (entry))
KMODX_LAZY(Lib::Kmod, uint64_t, kmod_module_symbol_get_crc, (const struct kmod_list *entry), (entry))
KMODX_LAZY(Lib::Kmod, void, kmod_module_symbols_free_list, (struct kmod_list *list), (list))
KMODX_LAZY(Lib::Kmod, void, kmod_module_dependency_symbols_free_list, (struct kmod_list *list), (list))
