// The runtime directory that holds the lock files, and the checks that make
// it safe to trust: a directory an unprivileged user could write into (or
// swap for a symlink) would let them block or fake every module load.
#include <kmodx/dedup.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

namespace kmodx::dedup {
namespace {

Degraded reason_for(int err) {
    switch (err) {
        case ENOENT: case ENOTDIR: return Degraded::Missing;
        case EROFS: return Degraded::ReadOnly;
        case ENOSPC: case EDQUOT: return Degraded::NoSpace;
        case ELOOP: return Degraded::Symlink;
        default: return Degraded::Other;
    }
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
        case Degraded::Other: break;
    }
    return "unusable";
}

Settings settings_from(const Config& c) {
    return Settings{c.dedup, c.runtime_dir, c.lock_wait_ms, c.fail_window_s};
}

std::expected<RuntimeDir, Degraded> RuntimeDir::open(const std::string& path) {
    struct stat st;
    bool created = false;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno != ENOENT) return std::unexpected(reason_for(errno));
        // Only root creates it: anyone else's directory would fail the
        // ownership check below anyway. A missing parent (early initramfs
        // without /run) is not ours to create.
        if (::geteuid() != 0) return std::unexpected(Degraded::Missing);
        if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return std::unexpected(reason_for(errno));
        created = true;
    } else if (S_ISLNK(st.st_mode)) {
        return std::unexpected(Degraded::Symlink);
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return std::unexpected(errno == ENOTDIR ? Degraded::Other : reason_for(errno));
    // The checks run on what we opened, not on the path, so a swap between
    // them changes nothing.
    if (::fstat(fd.get(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::unexpected(Degraded::Other);
    // Our umask may have narrowed the mode; readers need 0755, no more.
    if (created && (st.st_mode & 07777) != 0755 && ::fchmod(fd.get(), 0755) == 0)
        st.st_mode = (st.st_mode & ~07777) | 0755;
    if (st.st_uid != 0) return std::unexpected(Degraded::NotOwnedByRoot);
    if (st.st_mode & (S_IWGRP | S_IWOTH)) return std::unexpected(Degraded::Writable);
    struct statvfs vfs;
    if (::fstatvfs(fd.get(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) return std::unexpected(Degraded::ReadOnly);
    return RuntimeDir(std::move(fd));
}

}  // namespace kmodx::dedup
