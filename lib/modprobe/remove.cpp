// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modprobe/remove.hpp"

#include "modprobe/fatal_log.hpp"

#include <kmodx/log.hpp>
#include <kmodx/messages.hpp>

#include <fcntl.h>
#include <sys/wait.h>

#include <cerrno>

namespace kmodx::modprobe {

namespace msg = kmodx::messages;

Remover::Remover(ModuleCatalog& catalog, Kernel& kernel, RemoveSettings settings, CommandRunner runner, std::FILE* out)
    : catalog_(catalog), kernel_(kernel), settings_(settings), runner_(std::move(runner)), out_(out) {}

bool Remover::log(const std::string& message) {
    if (action_log(settings_.log_priority, "%s", message.c_str())) stopped_ = true;
    return stopped_;
}

// kmod flushes each line so that the output of remove commands stays in order.
void Remover::show(const std::string& line) {
    if (!settings_.show) return;
    std::fputs(line.c_str(), out_);
    std::fflush(out_);
}

Status Remover::remove_name(const std::string& name) {
    auto modules = catalog_.lookup(name);
    if (!modules) return std::unexpected(modules.error());
    if (modules->empty()) {
        log(msg::module_not_found(name));
        return failure(ENOENT, name);
    }
    for (const auto& m : *modules) {
        auto st = remove_module(m, settings_.remove_holders, false);
        if (!st || stopped_) return st;
    }
    return {};
}

Status Remover::remove_list_reversed(const std::vector<std::string>& modules, bool stop_on_errors) {
    for (auto it = modules.rbegin(); it != modules.rend(); ++it) {
        auto st = remove_module(*it, false, true);
        if (stopped_) return st;
        if (!st && stop_on_errors) return st;
    }
    return {};
}

Status Remover::remove_module(const std::string& module, bool with_holders, bool ignore_builtin) {
    ModuleCatalog::Softdeps softdeps;
    std::optional<std::string> cmd;
    if (!settings_.ignore_commands) {
        auto sd = catalog_.softdeps(module);
        if (!sd) {
            KMODX_WRN("%s", msg::fact_unavailable(msg::ModuleFact::Softdeps, module, sd.error().code).c_str());
            return std::unexpected(sd.error());
        }
        softdeps = std::move(*sd);
        cmd = catalog_.remove_command(module);
    }

    // Nothing to do for a module that is not there; a command runs regardless.
    if (!cmd && !settings_.ignore_loaded) {
        if (catalog_.is_builtin(module)) {
            if (ignore_builtin) return {};
            log(msg::removal_refused(msg::Tool::Modprobe, msg::Refusal::Builtin, module));
            return failure(ENOENT, module);
        }
        if (kernel_.module_state(module) == ModuleState::Absent) {
            if (!settings_.first_time) return {};
            log(msg::removal_refused(msg::Tool::Modprobe, msg::Refusal::NotLoaded, module));
            return failure(ENOENT, module);
        }
    }

    // Softdep failures never stop the removal.
    remove_list_reversed(softdeps.post, false);
    if (stopped_) return failure(ECANCELED, module);

    if (with_holders) {
        auto holders = kernel_.holders(module);
        if (holders) {
            auto st = remove_list_reversed(*holders, true);
            if (!st || stopped_) return st ? failure(ECANCELED, module) : st;
        }
    }

    // With -w the kernel's EAGAIN is the wait condition, so no early refusal.
    if (!cmd && !settings_.ignore_loaded && settings_.wait_msec == 0) {
        auto usage = kernel_.refcount(module);
        if (usage && *usage > 0) {
            log(msg::removal_refused(msg::Tool::Modprobe, msg::Refusal::InUse, module));
            return failure(EBUSY, module);
        }
    }

    auto st = cmd ? run_command(module, *cmd) : unload(module);
    if (!st || stopped_) return st;

    if (!cmd) remove_unused_dependencies(module);

    remove_list_reversed(softdeps.pre, false);
    if (stopped_) return failure(ECANCELED, module);
    return {};
}

// Best effort: a dependency still used by someone else simply stays.
void Remover::remove_unused_dependencies(const std::string& module) {
    for (const auto& dep : catalog_.dependencies(module)) {
        auto usage = kernel_.refcount(dep);
        if (usage && *usage == 0) (void)unload(dep);
        if (stopped_) return;
    }
}

Status Remover::run_command(const std::string& module, const std::string& command) {
    // $CMDLINE_OPTS expands to nothing on removal.
    std::string expanded = command;
    static constexpr std::string_view var = "$CMDLINE_OPTS";
    for (auto pos = expanded.find(var); pos != std::string::npos; pos = expanded.find(var, pos))
        expanded.erase(pos, var.size());

    show("remove " + expanded + "\n");
    if (settings_.dry_run) return {};

    const int status = runner_(expanded, module);
    if (status == -1 || WEXITSTATUS(status) != 0) {
        log(msg::remove_command_failed(module));
        return failure(status == -1 ? EPERM : WEXITSTATUS(status), module);
    }
    return {};
}

}  // namespace kmodx::modprobe
