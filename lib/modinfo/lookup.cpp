// SPDX-License-Identifier: LGPL-2.1-or-later
// modinfo's lookups through libkmod: by path, by name (-m) or by alias, as
// kmod 30 chooses between them.
#include "modinfo/render.hpp"

#include <kmodx/kmod_handles.hpp>
#include <kmodx/log.hpp>

#include <sys/stat.h>
#include <sys/utsname.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kmodx::modinfo {
namespace {

// The kernel's MODULE_NAME_LEN (64) minus the terminating NUL and padding.
constexpr std::size_t kMaxModuleName = 55;

// The extensions Debian's kmod 30 was built to read (+XZ +ZSTD -ZLIB): a
// .ko.gz argument falls through to an alias lookup there, and libkmod could
// not parse its metadata here either.
bool has_module_extension(std::string_view path) {
    for (std::string_view ext : {".ko", ".ko.xz", ".ko.zst"})
        if (path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext) return true;
    return false;
}

bool is_module_file(const std::string& arg) {
    struct stat st;
    return ::stat(arg.c_str(), &st) == 0 && S_ISREG(st.st_mode) && has_module_extension(arg);
}

void write_out(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

// Returns a negative errno on failure, like kmod's modinfo_do.
int show(kmod_module* mod, const Options& opts) {
    const char* path = kmod_module_get_path(mod);
    const char* name = kmod_module_get_name(mod);
    std::optional<std::string> filename;
    if (path) filename = path;

    bool wants_info = false;
    write_out(render_head(name, filename, opts, wants_info));
    if (!wants_info) return 0;

    kmod_list* raw = nullptr;
    int err = kmod_module_get_info(mod, &raw);
    InfoList list(raw);
    if (err < 0) {
        // A kernel without modules.builtin.modinfo: nothing more to say.
        if (!filename && err == -ENOENT) return 0;
        KMODX_ERR("could not get modinfo from '%s': %s\n", name, std::strerror(-err));
        return err;
    }
    std::vector<InfoField> info;
    for (kmod_list* it = list.get(); it; it = kmod_list_next(list.get(), it))
        info.push_back({kmod_module_info_get_key(it), kmod_module_info_get_value(it)});

    std::vector<std::string> errors;
    const std::string body = render_body(info, opts, errors);
    for (const auto& e : errors) KMODX_ERR("%s", e.c_str());
    write_out(body);
    return 0;
}

int by_path(kmod_ctx* ctx, const std::string& path, const Options& opts) {
    kmod_module* raw = nullptr;
    int err = kmod_module_new_from_path(ctx, path.c_str(), &raw);
    if (err < 0) {
        KMODX_ERR("Module file %s not found.\n", path.c_str());
        return err;
    }
    ModulePtr mod(raw);
    return show(mod.get(), opts);
}

// kmod 30 uses kmod_module_new_from_name_lookup (modules.dep, then
// modules.builtin), whose symbol version changed in later libkmod; the same
// two sources are consulted here through stable calls.
int by_name(kmod_ctx* ctx, const std::string& name, const Options& opts) {
    kmod_module* raw = nullptr;
    int err = kmod_module_new_from_name(ctx, name.c_str(), &raw);
    ModulePtr mod(raw);
    // libkmod 30's initstate overflows a stack buffer for names near
    // PATH_MAX; a name longer than the kernel's limit is never builtin.
    const bool found = err >= 0 && mod &&
                       (kmod_module_get_path(mod.get()) != nullptr ||
                        (name.size() <= kMaxModuleName && kmod_module_get_initstate(mod.get()) == KMOD_MODULE_BUILTIN));
    if (!found) {
        KMODX_ERR("Module name %s not found.\n", name.c_str());
        return err < 0 ? err : -ENOENT;
    }
    return show(mod.get(), opts);
}

int by_alias(kmod_ctx* ctx, const std::string& alias, const Options& opts) {
    kmod_list* raw = nullptr;
    int err = kmod_module_new_from_lookup(ctx, alias.c_str(), &raw);
    if (err < 0) {
        KMODX_ERR("Module alias %s not found.\n", alias.c_str());
        return err;
    }
    ModuleList list(raw);
    if (!list) {
        KMODX_ERR("Module %s not found.\n", alias.c_str());
        return -ENOENT;
    }
    for (kmod_list* it = list.get(); it; it = kmod_list_next(list.get(), it)) {
        int r = show(module_of(it).get(), opts);
        if (r < 0) err = r;
    }
    return err;
}

}  // namespace

int run(const Options& opts) {
    if (opts.targets.empty()) {
        KMODX_ERR("missing module or filename.\n");
        return EXIT_FAILURE;
    }
    std::optional<std::string> dirname;
    if (opts.basedir || opts.kversion) {
        std::string kversion;
        if (opts.kversion) {
            kversion = *opts.kversion;
        } else {
            struct utsname u;
            if (::uname(&u) < 0) {
                KMODX_ERR("uname() failed: %s\n", std::strerror(errno));
                return EXIT_FAILURE;
            }
            kversion = u.release;
        }
        dirname = opts.basedir.value_or("") + "/lib/modules/" + kversion;
        // kmod builds this in a PATH_MAX buffer; overlong input is cut there.
        if (dirname->size() > PATH_MAX - 1) dirname->resize(PATH_MAX - 1);
    }

    const char* no_config = nullptr;
    CtxPtr ctx(kmod_new(dirname ? dirname->c_str() : nullptr, &no_config));
    if (!ctx) {
        KMODX_ERR("kmod_new() failed!\n");
        return EXIT_FAILURE;
    }
    int err = 0;
    for (const auto& target : opts.targets) {
        int r;
        if (opts.by_name) r = by_name(ctx.get(), target, opts);
        else if (is_module_file(target)) r = by_path(ctx.get(), target, opts);
        else r = by_alias(ctx.get(), target, opts);
        if (r < 0) err = r;
    }
    return err >= 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace kmodx::modinfo
