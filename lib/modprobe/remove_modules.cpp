// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe -r against libkmod's view of the module database.
#include "modprobe/fatal_log.hpp"
#include "modprobe/remove.hpp"

#include <kmodx/kmod_handles.hpp>
#include <kmodx/modprobe.hpp>

#include <cerrno>

namespace kmodx::modprobe {

namespace {

std::vector<std::string> names_of(kmod_list* list) {
    std::vector<std::string> out;
    kmod_list* l;
    kmod_list_foreach(l, list) {
        ModulePtr m = module_of(l);
        out.emplace_back(kmod_module_get_name(m.get()));
    }
    return out;
}

class LibkmodCatalog final : public ModuleCatalog {
public:
    explicit LibkmodCatalog(kmod_ctx* ctx) : ctx_(ctx) {}

    Result<std::vector<std::string>> lookup(const std::string& name) override {
        kmod_list* raw = nullptr;
        const int err = kmod_module_new_from_lookup(ctx_, name.c_str(), &raw);
        ModuleList list(raw);
        if (err < 0) return failure(-err, name);
        return names_of(list.get());
    }

    bool is_builtin(const std::string& module) override {
        ModulePtr m = get(module);
        // Asking for the initstate of a module with a file would read sysfs
        // behind the kernel seam; only a module without one can be builtin.
        if (!m || kmod_module_get_path(m.get()) != nullptr) return false;
        return kmod_module_get_initstate(m.get()) == KMOD_MODULE_BUILTIN;
    }

    Result<Softdeps> softdeps(const std::string& module) override {
        ModulePtr m = get(module);
        if (!m) return failure(ENOMEM, module);
        kmod_list *pre = nullptr, *post = nullptr;
        const int err = kmod_module_get_softdeps(m.get(), &pre, &post);
        ModuleList pre_list(pre), post_list(post);
        if (err < 0) return failure(-err, module);
        return Softdeps{names_of(pre_list.get()), names_of(post_list.get())};
    }

    std::optional<std::string> remove_command(const std::string& module) override {
        ModulePtr m = get(module);
        const char* cmd = m ? kmod_module_get_remove_commands(m.get()) : nullptr;
        if (!cmd) return std::nullopt;
        return std::string(cmd);
    }

    std::vector<std::string> dependencies(const std::string& module) override {
        ModulePtr m = get(module);
        if (!m) return {};
        ModuleList deps(kmod_module_get_dependencies(m.get()));
        return names_of(deps.get());
    }

private:
    ModulePtr get(const std::string& name) {
        kmod_module* m = nullptr;
        if (kmod_module_new_from_name(ctx_, name.c_str(), &m) < 0) return nullptr;
        return ModulePtr(m);
    }

    kmod_ctx* ctx_;
};

}  // namespace

RemoveSettings remove_settings(const Options& opts) {
    RemoveSettings s;
    s.remove_holders = opts.remove_holders || opts.remove_dependencies;
    s.ignore_commands = opts.ignore_remove || opts.ignore_install;
    s.first_time = opts.first_time;
    s.dry_run = opts.dry_run;
    s.ignore_loaded = opts.ignore_loaded;
    s.force = opts.force;
    s.show = opts.show || opts.verbosity > LOG_WARNING;
    s.wait_msec = opts.wait_msec;
    s.log_priority = action_log_priority(opts.all);
    return s;
}

int remove_modules(kmod_ctx* ctx, const Options& opts, Kernel& kernel) {
    LibkmodCatalog catalog(ctx);
    RemoveSettings settings = remove_settings(opts);
    settings.record = !opts.dry_run;
    Remover remover(catalog, kernel, settings);
    bool ok = true;
    // Every argument is a module with -r, with or without -a.
    for (const auto& name : opts.args) {
        if (!remover.remove_name(name)) ok = false;
        if (remover.stopped()) return 1;
    }
    return ok ? 0 : 1;
}

}  // namespace kmodx::modprobe
