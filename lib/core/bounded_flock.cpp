// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/bounded_flock.hpp"

#include <kmodx/clock.hpp>

#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>

namespace kmodx::bounded_flock {
namespace {

void on_alarm(int) {}

// Past the bound the caller is asked again after a gap that doubles up to
// kLastGap. A fixed second was too often: on a 32-vCPU boot emulated on 2
// host cores, ~300 waiters past the bound, each woken every second, kept
// about 10 vCPUs busy while their holder sat in the kernel sending IPIs to
// all CPUs (static-call patching), which busy vCPUs answer late: the boot
// stood still for minutes. A holder that finishes releases the lock and
// wakes its waiters at once, so only a holder that turns stuck after the
// bound is noticed later, by at most kLastGap.
constexpr std::int64_t kFirstGap = 1'000'000'000;
constexpr std::int64_t kLastGap = 32'000'000'000;
// The deadline ends this much short of the signal that should pass it.
constexpr std::int64_t kSlack = 100'000'000;

// SIGALRM after NS, then each second: should the first one land just before
// flock() starts to sleep, the next still ends the wait. A short period
// instead would wake hundreds of waiters many times a second.
void arm(std::int64_t ns, itimerval* old = nullptr) {
    itimerval tick{};
    tick.it_value.tv_sec = ns / 1'000'000'000;
    tick.it_value.tv_usec = std::max<std::int64_t>(1, (ns % 1'000'000'000) / 1000);
    tick.it_interval.tv_sec = 1;
    ::setitimer(ITIMER_REAL, &tick, old);
}

// SIGALRM delivered to our handler, whatever the caller had set up, for as
// long as this lives; the caller's handler, mask and timer come back after.
class AlarmScope {
public:
    AlarmScope() {
        struct sigaction sa {};
        sa.sa_handler = on_alarm;  // no SA_RESTART: the signal must end flock()
        ::sigemptyset(&sa.sa_mask);
        ::sigaction(SIGALRM, &sa, &old_sa_);
        sigset_t alarm;
        ::sigemptyset(&alarm);
        ::sigaddset(&alarm, SIGALRM);
        ::sigprocmask(SIG_UNBLOCK, &alarm, &old_mask_);
    }
    ~AlarmScope() {
        // Timer first: no alarm of ours may come once the caller's handler
        // (perhaps the default, which kills) is back.
        ::setitimer(ITIMER_REAL, &old_tick_, nullptr);
        ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
        ::sigaction(SIGALRM, &old_sa_, nullptr);
    }
    AlarmScope(const AlarmScope&) = delete;
    AlarmScope& operator=(const AlarmScope&) = delete;
    itimerval* old_tick() { return &old_tick_; }

private:
    struct sigaction old_sa_ {};
    sigset_t old_mask_{};
    itimerval old_tick_{};
};

}  // namespace

int until(int fd, int op, std::int64_t deadline, const GoOn& go_on, bool& extended) {
    if (::flock(fd, op | LOCK_NB) == 0) return 0;
    if (errno != EWOULDBLOCK && errno != EINTR) return errno;
    std::int64_t gap = kFirstGap;
    if (monotonic_ns() >= deadline) {
        if (!(go_on && go_on())) return ETIMEDOUT;
        extended = true;
        deadline = monotonic_ns() + gap - kSlack;
        gap = std::min(gap * 2, kLastGap);
    }
    AlarmScope alarm;
    arm(std::max<std::int64_t>(1000, deadline - monotonic_ns()), alarm.old_tick());
    int err = 0;
    for (;;) {
        if (::flock(fd, op) == 0) break;
        if (errno != EINTR) {
            err = errno;
            break;
        }
        const std::int64_t now = monotonic_ns();
        if (now >= deadline) {
            if (go_on && go_on()) {
                extended = true;
                // The signal comes a whole gap from now; the deadline a
                // little before it, so that signal passes it.
                deadline = now + gap - kSlack;
                arm(gap);
                gap = std::min(gap * 2, kLastGap);
                continue;
            }
            err = ETIMEDOUT;
            break;
        }
    }
    return err;
}

bool within(int fd, int op, std::int64_t bound_ms) {
    bool extended = false;
    const int err = until(fd, op, monotonic_ns() + bound_ms * 1'000'000, {}, extended);
    if (err) errno = err;
    return err == 0;
}

}  // namespace kmodx::bounded_flock
