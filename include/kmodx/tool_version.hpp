// SPDX-License-Identifier: LGPL-2.1-or-later
// What -V prints for the kmod-compatible commands. The first line names kmodx
// honestly (a script that keys on "kmod version" must not be fooled into
// assuming kmod's bugs); the compatibility level and the feature line follow
// kmod's layout so humans and feature greps (+XZ, +ZSTD) still work. kmodx
// decompresses gzip, xz and zstd itself, hence +ZLIB where kmod had -ZLIB
// (both Debian 12's kmod 30 and Debian 13's 34.2); kmod 34 names its
// signature support +OPENSSL and dropped -EXPERIMENTAL from the line.
#pragma once

#include <kmodx/kmod_compat.hpp>

#include <cstdio>

namespace kmodx {

inline void print_tool_version(const char* kmodx_version, bool with_features) {
    std::printf("kmodx version %s (kmod %s compatible)\n", kmodx_version, kmod34 ? "34.2" : "30");
    if (with_features) std::puts(kmod34 ? "+ZSTD +XZ +ZLIB +OPENSSL" : "+ZSTD +XZ +ZLIB +LIBCRYPTO -EXPERIMENTAL");
}

}  // namespace kmodx
