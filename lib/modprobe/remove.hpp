// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe -r: the removal decisions of kmod 30, separated from libkmod and
// the kernel so unit tests can drive them with fakes.
//
// For one module kmod removes, in this order: its post-softdeps (last first),
// with --remove-holders the modules holding it (last first), the module itself
// (refused while its refcount is above zero) by delete_module or by its
// "remove" command, the modules it depended on whose refcount fell to zero,
// then its pre-softdeps (last first).
#pragma once

#include <kmodx/kernel.hpp>
#include <kmodx/modprobe.hpp>

#include "modprobe/install_command.hpp"
#include <kmodx/result.hpp>

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kmodx::modprobe {

// What the module database (modules.dep, modprobe.d, modules.builtin) says
// about module names; production answers come from libkmod.
class ModuleCatalog {
public:
    struct Softdeps {
        std::vector<std::string> pre;
        std::vector<std::string> post;
    };

    virtual ~ModuleCatalog() = default;
    // The modules NAME stands for (alias, module, symbol or command names);
    // empty when none. An error means the lookup itself failed.
    virtual Result<std::vector<std::string>> lookup(const std::string& name) = 0;
    virtual bool is_builtin(const std::string& module) = 0;
    virtual Result<Softdeps> softdeps(const std::string& module) = 0;
    virtual std::optional<std::string> remove_command(const std::string& module) = 0;
    // Every module MODULE needs, in modules.dep order.
    virtual std::vector<std::string> dependencies(const std::string& module) = 0;
};

struct RemoveSettings {
    bool remove_holders = false;
    bool ignore_commands = false;  // -i: no remove commands, no softdeps
    bool ignore_loaded = false;    // skip the loaded/refcount checks
    bool first_time = false;
    bool dry_run = false;
    bool force = false;  // O_TRUNC
    bool show = false;   // print "rmmod NAME" / "remove CMD" (-v)
    unsigned long long wait_msec = 0;
    int log_priority = 2;  // LOG_CRIT, LOG_WARNING with -a
    bool record = false;   // stats events for delete_module (kmodx::stats); off in unit tests
};

// kmod 30's removal switches as set by the command line.
RemoveSettings remove_settings(const Options& opts);

// Runs a remove command for MODULE; returns system(3)'s status.
using CommandRunner = std::function<int(const std::string& command, const std::string& module)>;

class Remover {
public:
    Remover(ModuleCatalog& catalog, Kernel& kernel, RemoveSettings settings, CommandRunner runner = run_shell_command,
            std::FILE* out = stdout);

    // kmod's rmmod(): every module NAME resolves to, stopping at the first
    // failure.
    Status remove_name(const std::string& name);

    // A FATAL message was shown: kmod 30 exits at that point, so must we.
    bool stopped() const { return stopped_; }

private:
    Status remove_module(const std::string& module, bool with_holders, bool ignore_builtin);
    Status remove_list_reversed(const std::vector<std::string>& modules, bool stop_on_errors);
    Status unload(const std::string& module);
    void record_removal(const std::string& module, int kernel_err, std::string taint);
    Status run_command(const std::string& module, const std::string& command);
    void remove_unused_dependencies(const std::string& module);
    // Logs one line of the message table as kmod's LOG(); true once kmod would stop.
    bool log(const std::string& message);
    void show(const std::string& line);

    ModuleCatalog& catalog_;
    Kernel& kernel_;
    RemoveSettings settings_;
    CommandRunner runner_;
    std::FILE* out_;
    bool stopped_ = false;
};

}  // namespace kmodx::modprobe
