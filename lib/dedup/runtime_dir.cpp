// SPDX-License-Identifier: LGPL-2.1-or-later
// The runtime directory and its locks/, and the checks that make them safe
// to trust: a directory an unprivileged user could write into (or swap for a
// symlink) would let them fake every module load, and a lock file they could
// open would let them hold it and delay every root load of that module.
#include <kmodx/dedup.hpp>

#include "core/self.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

namespace kmodx::dedup {
namespace {

Degraded reason_for(int err) {
    switch (err) {
        case ENOENT:
        case ENOTDIR: return Degraded::Missing;
        case EROFS: return Degraded::ReadOnly;
        case ENOSPC:
        case EDQUOT: return Degraded::NoSpace;
        case ELOOP: return Degraded::Symlink;
        case EACCES:
        case EPERM: return Degraded::NoAccess;
        default: return Degraded::Other;
    }
}

constexpr const char* kLocks = "locks";

// locks/ under the checked runtime directory, created 0700 by root. Nobody
// but root may enter it, so nobody else can open a lock file in it, whatever
// the file's own mode; one that others could enter may have been entered
// already (and a lock file opened and kept), so it is not used.
std::expected<UniqueFd, Degraded> open_locks(int runtime) {
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd fd(::openat(runtime, kLocks, flags));
    if (!fd && errno == ENOENT && self::euid() == 0) {
        if (::mkdirat(runtime, kLocks, 0700) != 0 && errno != EEXIST) return std::unexpected(reason_for(errno));
        fd.reset(::openat(runtime, kLocks, flags));
    }
    if (!fd) return std::unexpected(errno == ENOTDIR ? Degraded::NotRegular : reason_for(errno));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::unexpected(Degraded::Other);
    if (st.st_uid != self::euid()) return std::unexpected(Degraded::NotOwnedByRoot);
    if (st.st_mode & (S_IRWXG | S_IRWXO)) return std::unexpected(Degraded::OpenToOthers);
    return fd;
}

}  // namespace

const char* degraded_name(Degraded reason) {
    switch (reason) {
        case Degraded::Missing: return "missing";
        case Degraded::ReadOnly: return "read-only";
        case Degraded::NoSpace: return "no space";
        case Degraded::NotOwnedByRoot: return "not owned by root";
        case Degraded::Writable: return "group or world writable";
        case Degraded::Symlink: return "symlink";
        case Degraded::BadName: return "unusable module name";
        case Degraded::UntrustedLock: return "untrusted lock file";
        case Degraded::OpenToOthers: return "open to other users";
        case Degraded::NoAccess: return "permission denied";
        case Degraded::NotRegular: return "not a regular file";
        case Degraded::Other: break;
    }
    return "unusable";
}

const char* degraded_fix(Degraded reason) {
    switch (reason) {
        case Degraded::Missing: return "root's next modprobe creates it";
        case Degraded::ReadOnly: return "dedup needs a writable /run";
        case Degraded::NoSpace: return "free space or inodes on its file system";
        case Degraded::NoAccess: return "dedup needs root";
        case Degraded::BadName: return "nothing to do: that name cannot be a lock file";
        case Degraded::NotOwnedByRoot:
        case Degraded::Writable:
        case Degraded::Symlink:
        case Degraded::UntrustedLock:
        case Degraded::OpenToOthers:
        case Degraded::NotRegular:
        case Degraded::Other: break;
    }
    // Only root's private files are trusted: anything else there is removed
    // and made again, root's and 0700/0600, by the next modprobe run as root.
    return "remove it; root's next modprobe makes it again";
}

Settings settings_from(const Config& c) { return Settings{c.dedup, c.runtime_dir, c.lock_wait_ms, c.fail_window_s}; }

std::expected<RuntimeDir, DirFault> RuntimeDir::open(const std::string& path) {
    struct stat st;
    bool created = false;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno != ENOENT) return std::unexpected(DirFault{reason_for(errno)});
        // Only root creates it: anyone else's directory would fail the
        // ownership check below anyway. A missing parent (early initramfs
        // without /run) is not ours to create.
        if (self::euid() != 0) return std::unexpected(DirFault{Degraded::Missing});
        if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return std::unexpected(DirFault{reason_for(errno)});
        created = true;
    } else if (S_ISLNK(st.st_mode)) {
        return std::unexpected(DirFault{Degraded::Symlink});
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return std::unexpected(DirFault{errno == ENOTDIR ? Degraded::Other : reason_for(errno)});
    // The checks run on what we opened, not on the path, so a swap between
    // them changes nothing.
    if (::fstat(fd.get(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::unexpected(DirFault{Degraded::Other});
    // Our umask may have narrowed the mode; readers need 0755, no more.
    if (created && (st.st_mode & 07777) != 0755 && ::fchmod(fd.get(), 0755) == 0)
        st.st_mode = (st.st_mode & ~07777) | 0755;
    if (st.st_uid != 0) return std::unexpected(DirFault{Degraded::NotOwnedByRoot});
    if (st.st_mode & (S_IWGRP | S_IWOTH)) return std::unexpected(DirFault{Degraded::Writable});
    struct statvfs vfs;
    if (::fstatvfs(fd.get(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
        return std::unexpected(DirFault{Degraded::ReadOnly});
    auto locks = open_locks(fd.get());
    if (!locks) return std::unexpected(DirFault{locks.error(), true});
    return RuntimeDir(std::move(*locks));
}

}  // namespace kmodx::dedup
