// Per-module flock. Polling with LOCK_NB keeps the wait bounded without
// signals or threads; the backoff is short because loads take milliseconds.
#include <kmodx/dedup.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace kmodx::dedup {
namespace {

std::int64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleep_ns(std::int64_t ns) {
    timespec ts{ns / 1'000'000'000, long(ns % 1'000'000'000)};
    while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

std::optional<Record> read_record(int fd) {
    char buf[512];
    ssize_t n = ::pread(fd, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    return parse_record(std::string_view(buf, std::size_t(n)));
}

}  // namespace

std::expected<ModuleLock, LockFailure> ModuleLock::acquire(const RuntimeDir& dir, std::string_view module,
                                                           std::int64_t wait_bound_ms) {
    auto name = lock_name(module);
    if (!name) return std::unexpected(LockFailure{false, Degraded::BadName, 0});
    UniqueFd fd(::openat(dir.fd(), name->c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) {
        Degraded why = errno == ELOOP ? Degraded::Symlink
                       : errno == EROFS ? Degraded::ReadOnly
                       : (errno == ENOSPC || errno == EDQUOT) ? Degraded::NoSpace
                                                              : Degraded::Other;
        return std::unexpected(LockFailure{false, why, 0});
    }
    struct stat st;
    // A FIFO or device planted under the name is not a lock file.
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::unexpected(LockFailure{false, Degraded::Other, 0});

    const std::int64_t start = monotonic_ns();
    const std::int64_t bound = wait_bound_ms * 1'000'000;
    std::int64_t pause = 200'000;  // 0.2 ms, doubling up to 10 ms
    bool contended = false;
    for (;;) {
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) break;
        if (errno == EINTR) continue;
        const std::int64_t waited = monotonic_ns() - start;
        if (errno != EWOULDBLOCK) return std::unexpected(LockFailure{false, Degraded::Other, waited});
        contended = true;
        if (waited >= bound) return std::unexpected(LockFailure{true, Degraded::Other, waited});
        sleep_ns(std::min(pause, bound - waited));
        pause = std::min<std::int64_t>(pause * 2, 10'000'000);
    }
    const std::int64_t waited = monotonic_ns() - start;
    auto prev = read_record(fd.get());
    return ModuleLock(std::move(fd), contended, waited, prev);
}

Status ModuleLock::write_record(const Record& r) {
    const std::string text = format_record(r);
    ssize_t n = ::pwrite(fd_.get(), text.data(), text.size(), 0);
    if (n < 0) return failure_errno("write lock record");
    if (std::size_t(n) != text.size()) return failure(EIO, "write lock record");
    if (::ftruncate(fd_.get(), off_t(text.size())) != 0) return failure_errno("truncate lock record");
    return {};
}

}  // namespace kmodx::dedup
