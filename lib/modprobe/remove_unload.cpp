// SPDX-License-Identifier: LGPL-2.1-or-later
// The delete_module(2) step of modprobe -r, with kmod 30's -w retry loop, and
// the shell runner for remove commands.
#include "modprobe/remove.hpp"

#include <kmodx/log.hpp>
#include <kmodx/messages.hpp>

#include "stats/load_event.hpp"
#include "stats/recorder.hpp"

#include <fcntl.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace kmodx::modprobe {

namespace {

unsigned long long now_msec() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<unsigned long long>(ts.tv_sec) * 1000ULL + ts.tv_nsec / 1000000;
}

void sleep_msec(unsigned long long ms) {
    timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
    }
}

}  // namespace

void Remover::record_removal(const std::string& module, int kernel_err, std::string taint) {
    // EEXIST from delete_module is kmod's "not loaded" answer, not a removal.
    if (kernel_err == EEXIST) return;
    stats::Event e = stats::simple_event(
        "modprobe", module, kernel_err ? stats::Outcome::FailedRemove : stats::Outcome::Removed, kernel_err);
    e.taint = std::move(taint);
    stats::record(std::move(e));
}

Status Remover::unload(const std::string& module) {
    show("rmmod " + module + "\n");
    if (settings_.dry_run) return {};

    // The kernel must never block us: O_NONBLOCK always, O_TRUNC only with -f.
    unsigned flags = O_NONBLOCK | (settings_.force ? O_TRUNC : 0);
    const bool waiting = settings_.wait_msec > 0;
    unsigned long long deadline = 0, interval = 0;

    // Read before the module goes: its taint dies with it.
    std::string taint;
    if (settings_.record)
        if (auto text = kernel_.proc_modules()) taint = stats::taint_of(*text, module);

    Status st;
    int kernel_err = 0;  // the kernel's last answer; st may be forgiven below
    for (;;) {
        st = kernel_.delete_module(module, flags);
        if (st) {
            kernel_err = 0;
            break;
        }
        const int err = st.error().code;
        kernel_err = err;
        // Under -w the retries make a single failure uninteresting. Otherwise
        // kmod lets libkmod report it, whose messages Debian's debug-enabled
        // build prefixes with their source location.
        if (!waiting) KMODX_ERR("%s", messages::libkmod_remove_failed(module, err).c_str());
        if (err == EEXIST) {
            if (!settings_.first_time) {
                st = {};
            } else if (log(messages::removal_refused(messages::Tool::Modprobe, messages::Refusal::NotLoaded, module))) {
                return st;
            }
            break;
        }
        if (err != EAGAIN || !waiting) break;

        // Back off exponentially, never sleeping past the deadline. Running
        // out of time ends kmod 30's loop with its last sleep's success: the
        // module stays, silently, and the removal goes on as if done.
        const unsigned long long now = now_msec();
        if (deadline == 0) deadline = now + settings_.wait_msec;
        if (now >= deadline) {
            st = {};
            break;
        }
        interval = std::min(interval == 0 ? 1 : interval * 2, deadline - now);
        sleep_msec(interval);
    }

    if (settings_.record) record_removal(module, kernel_err, std::move(taint));
    if (!st && waiting)
        KMODX_ERR("%s", messages::remove_failed(messages::Tool::Modprobe, module, st.error().code).c_str());
    return st;
}

}  // namespace kmodx::modprobe
