// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/dir_entries.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace kmodx::dir_entries::detail {

long read_some(int dirfd, char* buf, unsigned long size) {
    ssize_t n;
    do n = ::getdents64(dirfd, buf, size);
    while (n < 0 && errno == EINTR);
    return static_cast<long>(n);
}

std::string_view name_at(const char* buf, long off, long& next) {
    const auto* d = reinterpret_cast<const dirent64*>(buf + off);
    next = off + d->d_reclen;
    return d->d_name;
}

}  // namespace kmodx::dir_entries::detail
