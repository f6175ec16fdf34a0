// SPDX-License-Identifier: LGPL-2.1-or-later
// Per-module flock, waited for with core/bounded_flock.hpp: waiters sleep in
// the kernel until the holder is done or the bound passes; past the bound the
// caller may extend the wait, told who the lock's record says is loading.
#include <kmodx/clock.hpp>
#include <kmodx/dedup.hpp>

#include "core/bounded_flock.hpp"
#include "core/self.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace kmodx::dedup {
namespace {

std::optional<Record> read_record(int fd) {
    char buf[512];
    ssize_t n = ::pread(fd, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    return parse_record(std::string_view(buf, std::size_t(n)));
}

// Asks PAST_BOUND whether to wait on, telling it who the record says loads.
bounded_flock::GoOn ask(int fd, const PastBound& past_bound) {
    if (!past_bound) return {};
    return [fd, &past_bound] {
        const auto r = read_record(fd);
        return r && r->pending ? past_bound(r->pid, r->start) : past_bound(0, 0);
    };
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
        Degraded why = errno == ELOOP                         ? Degraded::Symlink
                       : errno == EROFS                       ? Degraded::ReadOnly
                       : (errno == ENOSPC || errno == EDQUOT) ? Degraded::NoSpace
                       : errno == EISDIR                      ? Degraded::NotRegular
                       : (errno == EACCES || errno == EPERM)  ? Degraded::NoAccess
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
    const int err =
        bounded_flock::until(fd.get(), LOCK_SH, start + wait_bound_ms * 1'000'000, ask(fd.get(), past_bound), extended);
    const std::int64_t waited = monotonic_ns() - start;
    if (err) return std::unexpected(LockFailure{err == ETIMEDOUT, Degraded::Other, waited});
    auto prev = read_record(fd.get());
    return ModuleLock(std::move(fd), true, false, waited, extended, prev, std::uint64_t(st.st_size));
}

std::expected<void, LockFailure> ModuleLock::make_exclusive(std::int64_t wait_bound_ms, const PastBound& past_bound) {
    if (exclusive_) return {};
    const std::int64_t start = monotonic_ns();
    const int err = bounded_flock::until(fd_.get(), LOCK_EX, start + wait_bound_ms * 1'000'000,
                                         ask(fd_.get(), past_bound), extended_);
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
