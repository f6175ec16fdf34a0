// SPDX-License-Identifier: LGPL-2.1-or-later
// The checked filesystem steps of the stats store. Every check runs on what
// was opened (fstat of the fd), never on a path, and everything below the
// runtime directory is opened relative to a checked directory descriptor, so
// swapping a name between the check and the use changes nothing. A store
// directory that only root can write is enough to trust what is inside it:
// nobody else can put a file, a symlink or a hard link into it. Trusting
// what is inside is not enough for a lock, though: anyone who can open a
// file can flock it, so the store's locks live in a directory nobody else
// can even open (open_locks_dir()).
#include "stats/store_impl.hpp"

#include "core/bounded_flock.hpp"
#include "core/dir_entries.hpp"
#include "core/self.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <ctime>

namespace kmodx::stats::store {

std::string events_name(std::string_view boot_id) { return std::string(boot_id) + ".events"; }
std::string dropped_name(std::string_view boot_id) { return std::string(boot_id) + ".dropped"; }
std::string compact_lock_name(std::string_view boot_id) { return std::string(boot_id) + ".compact"; }

std::string archive_name(std::int64_t created_ns, std::string_view boot_id) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%019lld-", static_cast<long long>(created_ns < 0 ? 0 : created_ns));
    return buf + std::string(boot_id) + ".events";
}

std::vector<ArchiveEntry> list_archive(int boots_dir_fd) {
    std::vector<ArchiveEntry> out;
    (void)dir_entries::each_at(boots_dir_fd, ".", [&](std::string_view n) {
        // 19 digits, '-', 36-character boot id, ".events"
        if (n.size() != 19 + 1 + 36 + 7 || n[19] != '-' || !n.ends_with(".events")) return true;
        if (!std::all_of(n.begin(), n.begin() + 19, [](char c) { return c >= '0' && c <= '9'; })) return true;
        std::string_view boot = n.substr(20, 36);
        if (line::valid_boot_id(boot)) out.push_back({std::string(n), std::string(boot)});
        return true;
    });
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name > b.name; });
    return out;
}

Status check(const struct stat& st, const std::string& what) {
    uid_t me = self::euid();
    if (st.st_uid != 0 && (me == 0 || st.st_uid != me)) return failure(EPERM, what + " is not owned by root");
    if (st.st_mode & (S_IWGRP | S_IWOTH)) return failure(EPERM, what + " is writable by group or others");
    if (S_ISDIR(st.st_mode)) return {};
    if (!S_ISREG(st.st_mode)) return failure(EPERM, what + " is not a regular file");
    // A second name could be a hard link planted before the directory was
    // locked down; refusing costs nothing as the store never links twice.
    if (st.st_nlink > 1) return failure(EPERM, what + " has more than one link");
    return {};
}

namespace {

// A trailing slash would make the kernel follow a symlink in the last
// component despite O_NOFOLLOW.
std::string without_trailing_slash(std::string_view path) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    return std::string(path);
}

}  // namespace

Result<UniqueFd> open_dir(int parent, const std::string& path, bool create, const std::string& shown, Access access) {
    const std::string name = without_trailing_slash(path);
    const std::string& what = shown.empty() ? name : shown;
    const mode_t mode = access == Access::Private ? 0700 : 0755;
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd fd(::openat(parent, name.c_str(), flags));
    if (!fd && errno == ENOENT && create && self::euid() == 0) {
        // mkdir's mode passes through our umask; the fchmod below sets it.
        if (::mkdirat(parent, name.c_str(), mode) != 0 && errno != EEXIST) return failure_errno("mkdir " + what);
        fd.reset(::openat(parent, name.c_str(), flags));
        struct stat st;
        if (fd && ::fstat(fd.get(), &st) == 0 && st.st_uid == 0 && (st.st_mode & 07777) != mode &&
            !(st.st_mode & (S_IWGRP | S_IWOTH)))
            (void)::fchmod(fd.get(), mode);
    }
    if (!fd) {
        // O_NOFOLLOW|O_DIRECTORY on a symlink gives ENOTDIR or ELOOP
        // depending on the target; say which it was.
        int err = errno;
        struct stat lst;
        if ((err == ENOTDIR || err == ELOOP) && ::fstatat(parent, name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(lst.st_mode))
            return failure(ELOOP, what + " is a symlink");
        return failure(err, "open " + what);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return failure_errno("stat " + what);
    if (auto ok = check(st, what); !ok) return std::unexpected(ok.error());
    if (access == Access::Private && (st.st_mode & (S_IRWXG | S_IRWXO)))
        return failure(EPERM, what + " is accessible by group or others");
    return fd;
}

Result<UniqueFd> open_file(int dir, const std::string& name, int flags) {
    UniqueFd fd(::openat(dir, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return failure(errno, "open " + name);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return failure_errno("stat " + name);
    if (auto ok = check(st, name); !ok) return std::unexpected(ok.error());
    return fd;
}

std::string stats_path(std::string_view runtime_dir) { return without_trailing_slash(runtime_dir) + "/stats"; }

Result<UniqueFd> open_stats_dir(std::string_view runtime_dir, bool create) {
    auto dir = open_dir(AT_FDCWD, std::string(runtime_dir), create);
    if (!dir) return dir;
    return open_dir(dir->get(), "stats", create, stats_path(runtime_dir));
}

Result<UniqueFd> open_locks_dir(int stats_dir, const std::string& stats_shown, bool create) {
    constexpr const char* kName = "locks";
    const std::string what = stats_shown + "/" + kName;
    auto fd = open_dir(stats_dir, kName, false, what, Access::Private);
    if (fd || !create || fd.error().code != ENOENT) return fd;
    // The stats directory has passed its checks, so what we create in it is
    // ours: root's, or the caller's in a store of its own. No euid rule.
    if (::mkdirat(stats_dir, kName, 0700) != 0 && errno != EEXIST) return failure_errno("mkdir " + what);
    return open_dir(stats_dir, kName, false, what, Access::Private);
}

Result<UniqueFd> open_lock(int locks_dir, const std::string& name) {
    // Nobody else can open the directory, so whatever is in it is ours: no
    // checks on the file. O_NONBLOCK: a FIFO put there by mistake must not
    // hang the open.
    UniqueFd fd(::openat(locks_dir, name.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600));
    if (!fd) return failure_errno("open lock " + name);
    return fd;
}

bool lock_bounded(int fd, int op) { return bounded_flock::within(fd, op, kLockWaitMs); }

Result<std::string> read_all(int fd, std::uint64_t from) {
    std::string data;
    struct stat st;
    std::size_t want = 65536;
    if (::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) > from)
        want = static_cast<std::size_t>(st.st_size - from) + 4096;
    std::size_t have = 0;
    // Straight into the string, no bounce buffer; grows if appends continue.
    for (;;) {
        if (data.size() - have < 4096) data.resize(std::max(want, data.size() * 2));
        ssize_t n = ::pread(fd, data.data() + have, data.size() - have, static_cast<off_t>(from + have));
        if (n < 0) {
            if (errno == EINTR) continue;
            return failure_errno("read stats store");
        }
        if (n == 0) break;
        have += static_cast<std::size_t>(n);
    }
    data.resize(have);
    return data;
}

namespace {

Status write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return failure_errno("write stats store");
        }
        if (n == 0) return failure(ENOSPC, "write stats store");
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Result<std::string> write_temp(int dir, std::string_view data, bool durable) {
    static std::atomic<unsigned> seq{0};
    char name[64];
    std::snprintf(name, sizeof name, ".tmp.%d.%u", static_cast<int>(self::pid()), seq++);
    UniqueFd fd(::openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) return failure_errno("create temporary stats file");
    Status ok = write_all(fd.get(), data);
    if (ok && ::fchmod(fd.get(), 0644) != 0) ok = failure_errno("chmod temporary stats file");
    if (ok && durable && ::fsync(fd.get()) != 0) ok = failure_errno("fsync temporary stats file");
    if (!ok) {
        ::unlinkat(dir, name, 0);
        return std::unexpected(ok.error());
    }
    return std::string(name);
}

}  // namespace

Status replace_file(int dir, const std::string& name, std::string_view data, bool durable) {
    auto tmp = write_temp(dir, data, durable);
    if (!tmp) return std::unexpected(tmp.error());
    if (::renameat(dir, tmp->c_str(), dir, name.c_str()) != 0) {
        auto err = failure_errno("rename " + name);
        ::unlinkat(dir, tmp->c_str(), 0);
        return err;
    }
    if (durable) (void)::fsync(dir);
    return {};
}

Status create_file(int dir, const std::string& name, std::string_view data) {
    auto tmp = write_temp(dir, data, false);
    if (!tmp) return std::unexpected(tmp.error());
    // RENAME_NOREPLACE: whoever creates the file first wins and every other
    // creator's copy is thrown away, so the header is always line one (a
    // link() would do the same but show two links for a moment).
    if (::renameat2(dir, tmp->c_str(), dir, name.c_str(), RENAME_NOREPLACE) == 0) return {};
    int err = errno;
    ::unlinkat(dir, tmp->c_str(), 0);
    if (err != EEXIST) return failure(err, "create " + name);
    return {};
}

}  // namespace kmodx::stats::store
