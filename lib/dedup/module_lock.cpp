// Per-module flock. Waiters sleep in the kernel (a blocking flock) rather
// than poll: with hundreds of waiters on a few CPUs, polling took the CPU
// away from the one process doing the load. The wait is bounded by an
// interval timer whose signal interrupts flock(); past the bound the caller
// may extend it, asked again after 1, 2, 4 ... 32 s. SIGALRM is unblocked for
// the wait: a signal mask survives exec, and a parent that blocked SIGALRM
// would otherwise make the bounded wait unbounded.
#include <kmodx/clock.hpp>
#include <kmodx/dedup.hpp>

#include "core/self.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace kmodx::dedup {
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

std::optional<Record> read_record(int fd) {
    char buf[512];
    ssize_t n = ::pread(fd, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    return parse_record(std::string_view(buf, std::size_t(n)));
}

// Asks PAST_BOUND whether to wait on, telling it who the record says loads.
bool go_on(int fd, const PastBound& past_bound) {
    if (!past_bound) return false;
    const auto r = read_record(fd);
    return r && r->pending ? past_bound(r->pid, r->start) : past_bound(0, 0);
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

// flock(fd, op) that gives up at `deadline` (CLOCK_MONOTONIC ns), unless
// PAST_BOUND then says to go on (asked again after each gap): 0, or the
// errno (ETIMEDOUT past the deadline). EXTENDED tells whether it said so.
int flock_until(int fd, int op, std::int64_t deadline, const PastBound& past_bound, bool& extended) {
    if (::flock(fd, op | LOCK_NB) == 0) return 0;
    if (errno != EWOULDBLOCK && errno != EINTR) return errno;
    std::int64_t gap = kFirstGap;
    if (monotonic_ns() >= deadline) {
        if (!go_on(fd, past_bound)) return ETIMEDOUT;
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
            if (go_on(fd, past_bound)) {
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

}  // namespace

std::expected<ModuleLock, LockFailure> ModuleLock::acquire(const RuntimeDir& dir, std::string_view module,
                                                           std::int64_t wait_bound_ms,
                                                           const std::function<void(pid_t)>& on_wait,
                                                           const PastBound& past_bound) {
    auto name = lock_name(module);
    if (!name) return std::unexpected(LockFailure{false, Degraded::BadName, 0, true});
    // O_NONBLOCK: a FIFO planted under the name must not stall the open.
    UniqueFd fd(::openat(dir.fd(), name->c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
    if (!fd) {
        Degraded why = errno == ELOOP ? Degraded::Symlink
                       : errno == EROFS ? Degraded::ReadOnly
                       : (errno == ENOSPC || errno == EDQUOT) ? Degraded::NoSpace
                       : errno == EISDIR ? Degraded::NotRegular
                       : (errno == EACCES || errno == EPERM) ? Degraded::NoAccess
                                                             : Degraded::Other;
        return std::unexpected(LockFailure{false, why, 0, true});
    }
    struct stat st;
    // A FIFO or device planted under the name is not a lock file, nor is one
    // that someone else owns (its record could fake a cached failure), a
    // second name of another file (writing the record would overwrite it) or
    // one that group or others may open (they could hold its lock). locks/
    // makes these unreachable without root; this keeps a stale or hand-made
    // file from steering a load all the same.
    if (::fstat(fd.get(), &st) != 0) return std::unexpected(LockFailure{false, Degraded::Other, 0, true});
    if (!S_ISREG(st.st_mode)) return std::unexpected(LockFailure{false, Degraded::NotRegular, 0, true});
    if (st.st_uid != self::euid() || st.st_nlink != 1 || (st.st_mode & (S_IRWXG | S_IRWXO)))
        return std::unexpected(LockFailure{false, Degraded::UntrustedLock, 0, true});

    const std::int64_t start = monotonic_ns();
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0)
        return ModuleLock(std::move(fd), false, true, monotonic_ns() - start, false, read_record(fd.get()),
                          std::uint64_t(st.st_size));
    if (errno != EWOULDBLOCK) return std::unexpected(LockFailure{false, Degraded::Other, 0, true});
    if (on_wait) {
        // Written (pending) by the holder right after it got the lock; a
        // finished record is an earlier holder's.
        const auto current = read_record(fd.get());
        on_wait(current && current->pending ? current->pid : 0);
    }
    bool extended = false;
    const int err = flock_until(fd.get(), LOCK_SH, start + wait_bound_ms * 1'000'000, past_bound, extended);
    const std::int64_t waited = monotonic_ns() - start;
    if (err) return std::unexpected(LockFailure{err == ETIMEDOUT, Degraded::Other, waited});
    auto prev = read_record(fd.get());
    return ModuleLock(std::move(fd), true, false, waited, extended, prev, std::uint64_t(st.st_size));
}

std::expected<void, LockFailure> ModuleLock::make_exclusive(std::int64_t wait_bound_ms, const PastBound& past_bound) {
    if (exclusive_) return {};
    const std::int64_t start = monotonic_ns();
    const int err = flock_until(fd_.get(), LOCK_EX, start + wait_bound_ms * 1'000'000, past_bound, extended_);
    waited_ns_ += monotonic_ns() - start;
    if (err) return std::unexpected(LockFailure{err == ETIMEDOUT, Degraded::Other, waited_ns_});
    exclusive_ = true;
    previous_ = read_record(fd_.get());
    return {};
}

Status ModuleLock::write_record(const Record& r) {
    if (!exclusive_) return failure(EPERM, "write lock record");
    const std::string text = format_record(r);
    ssize_t n = ::pwrite(fd_.get(), text.data(), text.size(), 0);
    if (n < 0) return failure_errno("write lock record");
    if (std::size_t(n) != text.size()) return failure(EIO, "write lock record");
    if (longer_than_a_record_) {
        if (::ftruncate(fd_.get(), off_t(text.size())) != 0) return failure_errno("truncate lock record");
        longer_than_a_record_ = false;
    }
    return {};
}

}  // namespace kmodx::dedup
