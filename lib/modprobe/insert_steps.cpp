// SPDX-License-Identifier: LGPL-2.1-or-later
// Carrying out a probe plan the way libkmod 30's kmod_module_probe_insert_module
// does after its checks, but with kmodx's loader and kernel seam.
#include "modprobe/insert.hpp"

#include <kmodx/config.hpp>
#include <kmodx/dedup.hpp>
#include <kmodx/log.hpp>
#include <kmodx/messages.hpp>

#include "stats/load_event.hpp"
#include "stats/recorder.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <cstring>

namespace kmodx::modprobe {

StepRunner::StepRunner(Kernel& kernel, StepSettings settings, InstallRunner install, ModuleLoader loader,
                       std::FILE* out)
    : kernel_(kernel), settings_(settings), install_(std::move(install)), loader_(std::move(loader)), out_(out) {
    if (!loader_) loader_ = [](Kernel& k, const LoadRequest& r, LoadReport* f) { return load_module(k, r, f); };
}

std::string StepRunner::action_line(const Step& step) {
    if (step.install) return "install " + *step.install + " " + step.options + "\n";
    if (step.path.empty()) return {};
    return "insmod " + step.path + " " + step.options + "\n";
}

int StepRunner::run_install(const Step& step) {
    if (!settings_.dedup) return run_command(step);
    // Serialised under the module's lock, skipped when it is live by then
    // (docs/dedup.md, "Install commands").
    dedup::GuardReport report;
    const int err = dedup::run_serialised(
        kernel_, step.name, [&] { return run_command(step); }, report, waiting_note(step));
    note(step, err, report);
    return err;
}

int StepRunner::run_command(const Step& step) {
    announce(step);
    const std::string cmd = substitute_cmdline_opts(*step.install, step.options);
    int status = install_(cmd, step.name);
    if (status == -1) {
        KMODX_ERR("%s", messages::install_command_unrunnable(cmd, step.name, errno).c_str());
        return -EINVAL;
    }
    // A command killed by a signal has exit status 0 here, as in libkmod.
    if (WEXITSTATUS(status)) {
        KMODX_ERR("%s", messages::install_command_failed(cmd, step.name, WEXITSTATUS(status)).c_str());
        return -EINVAL;
    }
    return 0;
}

int StepRunner::load(const Step& step) {
    stats::LoadFacts facts;
    facts.tool = "modprobe";
    facts.module = step.name;
    facts.path = step.path;
    facts.dedup_disabled = !settings_.dedup;
    if (step.path.empty()) {
        KMODX_ERR("could not find module by name='%s'\n", step.name.c_str());
        record(facts, -ENOENT);
        return -ENOENT;
    }
    LoadRequest req;
    req.path = step.path;
    req.params = step.options;
    req.force_vermagic = settings_.force_vermagic;
    req.force_modversion = settings_.force_modversion;
    req.keep_image = settings_.record && stats::Recorder::instance().enabled();
    auto insert = [&] {
        announce(step);
        facts.attempted = true;
        auto r = loader_(kernel_, req, &facts.report);
        if (!r) {
            facts.error = r.error();
            return -messages::load_errno(r.error(), facts.report.format);
        }
        return r->outcome == LoadOutcome::AlreadyLoaded ? -EEXIST : 0;
    };
    if (!settings_.dedup) {
        const int err = insert();
        record(facts, err);
        return err;
    }
    dedup::GuardReport report;
    const unsigned force =
        (req.force_vermagic ? kInitIgnoreVermagic : 0) | (req.force_modversion ? kInitIgnoreModversions : 0);
    const std::uint64_t key = dedup::request_key(step.options, force, step.path);
    const int err = dedup::load_once(kernel_, step.name, key, insert, report, waiting_note(step));
    facts.guard = &report;
    record(facts, err);
    note(step, err, report);
    return err;
}

void StepRunner::record(stats::LoadFacts& facts, int err) {
    // An event costs file reads (its footprint): none when nobody keeps it.
    if (!settings_.record || !stats::Recorder::instance().enabled()) return;
    facts.result = err;
    stats::record(stats::load_event(kernel_, facts));
}

std::function<void(pid_t)> StepRunner::waiting_note(const Step& step) {
    if (!settings_.show) return {};
    return [name = step.name](pid_t holder) {
        // A person is watching a command that seems stuck: say why now.
        if (holder > 0) KMODX_NOTICE("%s is being loaded by pid %d: waiting for it\n", name.c_str(), int(holder));
        else KMODX_NOTICE("%s is being loaded by another process: waiting for it\n", name.c_str());
    };
}

void StepRunner::note(const Step& step, int err, const dedup::GuardReport& report) {
    // One note per process about the directory; a missing one is the normal
    // state of an early initramfs and not worth a word, nor is one that an
    // unprivileged caller may not enter (the kernel refuses its load anyway).
    static bool degraded_noted = false;
    if (report.degraded && !degraded_noted) {
        degraded_noted = true;
        const bool normal =
            *report.degraded == dedup::Degraded::Missing || *report.degraded == dedup::Degraded::NoAccess;
        if (!normal && !settings_.quiet) {
            // Removing the runtime directory mends whatever inside it is at
            // fault, so it is named unless the fault is known to be deeper.
            const std::string dir = config().runtime_dir;
            const std::string path = report.degraded_lock_file   ? dir + "/locks/" + step.name
                                     : report.degraded_locks_dir ? dir + "/locks"
                                                                 : dir;
            // A lock file's fault is this module's; a directory's, every module's.
            const std::string what = report.degraded_lock_file ? step.name + " " : std::string();
            KMODX_WRN("%s: %s: loading %swithout dedup (%s)\n", path.c_str(), dedup::degraded_name(*report.degraded),
                      what.c_str(), dedup::degraded_fix(*report.degraded));
        }
    }
    if (!settings_.show) return;
    const long long ms = report.waited_ns / 1'000'000;
    const long long settle_ms = report.settle_ns / 1'000'000;
    if (report.settle_timed_out)
        KMODX_NOTICE("%s still loading outside kmodx after %lld ms, loading it anyway\n", step.name.c_str(), settle_ms);
    else if (report.settled && report.by_other)
        KMODX_NOTICE("%s loaded outside kmodx, waited %lld ms\n", step.name.c_str(), ms + settle_ms);
    else if (report.settled && report.settled_from_going)
        KMODX_NOTICE("%s was being removed, waited %lld ms, loading it\n", step.name.c_str(), settle_ms);
    else if (report.settled)
        KMODX_NOTICE("%s was not loaded outside kmodx after all (waited %lld ms), loading it\n", step.name.c_str(),
                     settle_ms);
    if (report.settled) return;
    if (report.waited_for_kernel)
        KMODX_NOTICE(
            "%s was still loading in the kernel when the wait bound passed: waited on, as the "
            "kernel would make a second load wait too\n",
            step.name.c_str());
    if (report.holder_pid_reused)
        KMODX_NOTICE(
            "%s's lock record names a pid that another process has taken since: not waited "
            "for on its account\n",
            step.name.c_str());
    if (report.live_past_bound)
        KMODX_NOTICE("%s still locked after %lld ms, but live by then: not loaded again\n", step.name.c_str(), ms);
    else if (report.timed_out)
        KMODX_NOTICE("%s still locked after %lld ms, loaded without waiting longer\n", step.name.c_str(), ms);
    else if (report.by_other && err < 0 && err != -EEXIST)
        KMODX_NOTICE("%s failed in pid %d (%s), waited %lld ms\n", step.name.c_str(), int(report.holder_pid),
                     std::strerror(-err), ms);
    else if (report.by_other && report.holder_pid == 0)
        KMODX_NOTICE("%s loaded by another process, waited %lld ms\n", step.name.c_str(), ms);
    else if (report.by_other)
        KMODX_NOTICE("%s loaded by pid %d, waited %lld ms\n", step.name.c_str(), int(report.holder_pid), ms);
}

// Printed only by the process that goes on to load (or run the command), so
// that a modprobe which waits for another's load shows no insmod of its own.
void StepRunner::announce(const Step& step) {
    if (!settings_.show) return;
    // Buffered like kmod's printf: an install command's own output comes
    // first when stdout is a file.
    std::fputs(action_line(step).c_str(), out_);
}

int StepRunner::run_step(const Step& step) {
    // The plan is a snapshot: another modprobe may have finished this module
    // since, and libkmod checks again right before each insert too.
    if (kernel_.module_state(step.name) == ModuleState::Live) {
        if (settings_.record) stats::record(stats::simple_event("modprobe", step.name, stats::Outcome::AlreadyLive));
        return -EEXIST;
    }
    return step.install ? run_install(step) : load(step);
}

int StepRunner::run(const std::vector<Step>& steps) {
    int err = 0;
    for (const Step& s : steps) {
        err = run_step(s);
        if (err == -EEXIST && s.target && settings_.first_time) break;
        if (err == -EEXIST || !s.required) err = 0;
        else if (err < 0) break;
    }
    return err;
}

}  // namespace kmodx::modprobe
