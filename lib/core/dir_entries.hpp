// SPDX-License-Identifier: LGPL-2.1-or-later
// The names in a directory, read with getdents64() straight into a buffer on
// the stack. opendir() also fstat()s the directory and mallocs 32 KiB; every
// modprobe lists the modprobe.d directories, so a boot storm pays that once
// per request and per directory.
#pragma once

#include <kmodx/fd.hpp>
#include <kmodx/result.hpp>

#include <fcntl.h>

#include <string>
#include <string_view>

namespace kmodx::dir_entries {

// Calls fn(name) for each entry of DIRFD but "." and ".."; fn returns false to
// stop. The directory's offset is wherever the listing stopped.
template <typename Fn>
Status each(int dirfd, Fn&& fn);

// Opens NAME relative to DIRFD as a directory and lists it as each() does;
// ENOENT and the rest come back as errors with errno. NAME "." lists DIRFD
// itself through an fd of its own, leaving DIRFD's offset alone.
template <typename Fn>
Status each_at(int dirfd, const char* name, Fn&& fn);

// each_at() for a path (relative ones from the working directory).
template <typename Fn>
Status each_in(const char* path, Fn&& fn) {
    return each_at(AT_FDCWD, path, fn);
}

namespace detail {
// One getdents64() call: bytes read, 0 at the end, -1 with errno.
long read_some(int dirfd, char* buf, unsigned long size);
// The name in the record at OFF of BUF and the offset of the next one.
std::string_view name_at(const char* buf, long off, long& next);
}  // namespace detail

template <typename Fn>
Status each(int dirfd, Fn&& fn) {
    alignas(8) char buf[8192];
    for (;;) {
        long n = detail::read_some(dirfd, buf, sizeof buf);
        if (n < 0) return failure_errno("getdents");
        if (n == 0) return {};
        for (long off = 0, next = 0; off < n; off = next) {
            std::string_view name = detail::name_at(buf, off, next);
            if (name == "." || name == "..") continue;
            if (!fn(name)) return {};
        }
    }
}

template <typename Fn>
Status each_at(int dirfd, const char* name, Fn&& fn) {
    UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return failure_errno(std::string("open ") + name);
    return each(fd.get(), fn);
}

}  // namespace kmodx::dir_entries
