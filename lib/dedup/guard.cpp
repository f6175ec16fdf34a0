// SPDX-License-Identifier: LGPL-2.1-or-later
// load_once() and run_serialised(): the lock protocol around one module's
// load or install command.
#include <kmodx/clock.hpp>
#include <kmodx/dedup.hpp>

#include "core/self.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace kmodx::dedup {
namespace {

constexpr const char* kHeldVar = "KMODX_LOCKS_HELD";

struct Process {
    Settings settings = settings_from(config());
    std::expected<RuntimeDir, DirFault> dir =
        settings.enabled ? RuntimeDir::open(settings.runtime_dir) : std::unexpected(DirFault{});
};

Process& process() {
    // Built on first need only: the already-live fast path never gets here,
    // so it never reads the configuration or touches the runtime directory.
    static Process p;
    return p;
}

// True when an ancestor (the modprobe whose install command we run under)
// holds NAME's lock: waiting for it would wait for ourselves.
bool held_by_parent(const std::string& name) {
    const char* v = std::getenv(kHeldVar);
    if (!v) return false;
    std::string_view rest(v);
    while (!rest.empty()) {
        const std::size_t colon = rest.find(':');
        if (rest.substr(0, colon) == name) return true;
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
    }
    return false;
}

// Waits, bounded, while someone outside kmodx loads or removes MODULE. The
// kernel offers nothing to wait on from userspace; the state file is cheap
// to read and loads take milliseconds, so a short backoff is enough.
ModuleState settle(Kernel& kernel, std::string_view module, std::int64_t bound_ms, GuardReport& report) {
    const std::int64_t start = monotonic_ns();
    const std::int64_t bound = bound_ms * 1'000'000;
    std::int64_t pause = 200'000;
    report.settled = true;
    ModuleState s = kernel.module_state(module);
    report.settled_from_going = s == ModuleState::Going;
    while (s == ModuleState::Coming || s == ModuleState::Going) {
        const std::int64_t waited = monotonic_ns() - start;
        if (waited >= bound) {
            report.settle_timed_out = true;
            break;
        }
        const std::int64_t ns = std::min(pause, bound - waited);
        timespec ts{ns / 1'000'000'000, long(ns % 1'000'000'000)};
        while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        pause = std::min<std::int64_t>(pause * 2, 10'000'000);
        s = kernel.module_state(module);
    }
    report.settle_ns = monotonic_ns() - start;
    return s;
}

// Sets the variable naming our held locks for the duration of one command.
class HeldForChildren {
public:
    explicit HeldForChildren(const std::string& name) {
        const char* v = std::getenv(kHeldVar);
        if (v) old_ = v;
        const std::string now = old_ ? *old_ + ":" + name : name;
        ::setenv(kHeldVar, now.c_str(), 1);
    }
    ~HeldForChildren() {
        if (old_) ::setenv(kHeldVar, old_->c_str(), 1);
        else ::unsetenv(kHeldVar);
    }
    HeldForChildren(const HeldForChildren&) = delete;
    HeldForChildren& operator=(const HeldForChildren&) = delete;

private:
    std::optional<std::string> old_;
};

// Says, once the bound has passed, whether to go on waiting for the lock:
// while the holder (alive, as it still holds the lock) is in its load call,
// or MODULE is coming, a load of our own would only be made to wait in the
// kernel (add_unformed_module()), after the kernel had read, checked and
// allocated it. The bound is for holders stuck before the kernel. On a
// starved 32-vCPU boot the holders were merely slow inside it, first
// reading and checking the file (not yet coming), and waiters that gave up
// at the bound duplicated nearly every load. A holder that is running is
// not stuck either: the kernel names no syscall for a runnable task, and on
// a later 32-vCPU boot waiters gave up on holders that spent minutes inside
// finit_module, so these must have read as runnable. Stuck
// means asleep elsewhere (an install command, a hung read) or stopped.
// The record's pid is believed only while its start time matches: a holder
// that died leaves its pending record behind, and whoever is handed its pid
// next (any user, running a busy loop) would otherwise keep us waiting for
// as long as they like.
PastBound while_in_kernel(Kernel& kernel, std::string_view module, GuardReport& report) {
    return [&kernel, module, &report](pid_t holder, std::uint64_t start) {
        TaskActivity a = TaskActivity::Other;
        if (holder > 0 && start != 0) {
            if (kernel.task_start_time(holder) == start) a = kernel.task_activity(holder);
            else report.holder_pid_reused = true;
        }
        if (a == TaskActivity::Other && kernel.module_state(module) != ModuleState::Coming) return false;
        report.waited_for_kernel = true;
        return true;
    };
}

// Takes MODULE's lock, or says in REPORT why not (nullopt: run unguarded).
std::optional<ModuleLock> take(std::string_view module, GuardReport& report, const std::function<void(pid_t)>& on_wait,
                               const PastBound& past_bound = {}) {
    Process& p = process();
    if (!p.settings.enabled) {
        report.disabled = true;
        return std::nullopt;
    }
    if (!p.dir) {
        report.degraded = p.dir.error().reason;
        report.degraded_locks_dir = p.dir.error().locks_dir;
        return std::nullopt;
    }
    if (auto name = lock_name(module); name && held_by_parent(*name)) {
        report.held_by_parent = true;
        return std::nullopt;
    }
    auto lock = ModuleLock::acquire(*p.dir, module, p.settings.wait_bound_ms, on_wait, past_bound);
    if (!lock) {
        report.waited_ns = lock.error().waited_ns;
        if (lock.error().timed_out) {
            report.timed_out = true;
        } else {
            report.degraded = lock.error().reason;
            report.degraded_lock_file = lock.error().lock_file;
        }
        return std::nullopt;
    }
    report.waited_ns = lock->waited_ns();
    return std::move(*lock);
}

// Turns a waiter's shared lock into the exclusive one within what is left
// of the bound; false (and REPORT says why) means: go on unguarded.
bool go_exclusive(ModuleLock& lock, GuardReport& report, const PastBound& past_bound = {}) {
    const std::int64_t left_ms =
        std::max<std::int64_t>(0, process().settings.wait_bound_ms - report.waited_ns / 1'000'000);
    auto ex = lock.make_exclusive(left_ms, past_bound);
    report.waited_ns = lock.waited_ns();
    if (ex) return true;
    if (ex.error().timed_out) report.timed_out = true;
    else report.degraded = ex.error().reason;
    return false;
}

// LOAD without the lock (REPORT says why). Given up at the bound, yet live
// by now (its holder was finishing, or loaded it while we asked about it):
// a load would only be read, checked and answered EEXIST by the kernel.
int unguarded(Kernel& kernel, std::string_view module, const std::function<int()>& load, GuardReport& report) {
    if (report.timed_out && kernel.module_state(module) == ModuleState::Live) {
        report.by_other = true;
        report.live_past_bound = true;
        return -EEXIST;
    }
    return load();
}

}  // namespace

int load_once(Kernel& kernel, std::string_view module, std::uint64_t key, const std::function<int()>& load,
              GuardReport& report, const std::function<void(pid_t)>& on_wait) {
    const auto past_bound = while_in_kernel(kernel, module, report);
    auto lock = take(module, report, on_wait, past_bound);
    if (!lock) return unguarded(kernel, module, load, report);
    const Settings& s = process().settings;
    // A person at a terminal who asks again after a failure (having fixed
    // its cause, often) gets a real attempt, not another process's cached
    // answer: the cache is for storms of requests from the kernel and udev,
    // and a real attempt gives kmod's own message. It still waits for a load
    // in flight, and leaves its result for the next one.
    auto decide_now = [&](ModuleState state) {
        Decision d = decide(state, lock->previous(), key, realtime_ns(), s.fail_window_s);
        if (d.action == Action::ReuseFailure && self::at_terminal()) d = {Action::Load, 0};
        return d;
    };
    // Re-checked under the lock: the holder we waited for may have loaded it.
    Decision d = decide_now(kernel.module_state(module));
    if ((d.action == Action::Load || d.action == Action::Settle) && !lock->exclusive()) {
        // A waiter that must act after all: the shared lock only let it look.
        if (!go_exclusive(*lock, report, past_bound)) return unguarded(kernel, module, load, report);
        d = decide_now(kernel.module_state(module));
    }
    const auto& prev = lock->previous();
    if (d.action == Action::Settle) {
        const ModuleState now = settle(kernel, module, s.wait_bound_ms, report);
        d = decide_now(now);
        // Still in transition after the bound: the kernel's own wait decides.
        if (d.action == Action::Settle) d = {Action::Load, 0};
    }
    switch (d.action) {
        case Action::SkipLive:
            if (report.settled) {
                report.by_other = true;  // holder_pid 0: outside kmodx
            } else if (lock->contended() && prev && prev->err == 0 && prev->pid != self::pid()) {
                report.by_other = true;
                report.holder_pid = prev->pid;
            }
            return -EEXIST;
        case Action::ReuseFailure:
            report.by_other = true;
            report.holder_pid = prev->pid;
            return -d.err;
        case Action::Settle:
        case Action::Load: break;
    }
    // Says "someone was loading this and died" to the next holder if we do.
    const pid_t me = self::pid();
    const std::uint64_t start = kernel.task_start_time(me).value_or(0);
    (void)lock->write_record(Record{me, realtime_ns(), 0, key, true, start});
    const int r = load();
    // EEXIST is kept as such (decide() never reuses it); anything else the
    // next holder may reuse within the failure window.
    (void)lock->write_record(Record{me, realtime_ns(), r < 0 ? -r : 0, key, false, start});
    return r;
}

int run_serialised(Kernel& kernel, std::string_view module, const std::function<int()>& command, GuardReport& report,
                   const std::function<void(pid_t)>& on_wait) {
    auto lock = take(module, report, on_wait);
    if (!lock) return command();
    ModuleState state = kernel.module_state(module);
    if (state != ModuleState::Live && !lock->exclusive()) {
        // Commands run one at a time: a shared lock only let us look.
        if (!go_exclusive(*lock, report)) return command();
        state = kernel.module_state(module);
    }
    if (state == ModuleState::Coming || state == ModuleState::Going)
        state = settle(kernel, module, process().settings.wait_bound_ms, report);
    if (state == ModuleState::Live) {
        // Whoever held the lock before us (or the loader we waited for) did it.
        if (lock->contended() || report.settled) report.by_other = true;
        return -EEXIST;
    }
    // No record: a command's outcome is not a load's, and is never reused.
    HeldForChildren held(lock_name(module).value_or(std::string(module)));
    return command();
}

}  // namespace kmodx::dedup
