// What -V prints for the kmod-compatible commands. The first line names kmodx
// honestly (a script that keys on "kmod version" must not be fooled into
// assuming kmod's bugs); the compatibility level and the feature line follow
// kmod's layout so humans and feature greps (+XZ, +ZSTD) still work. kmodx
// decompresses gzip, xz and zstd itself, hence +ZLIB where kmod 30 had -ZLIB.
#pragma once

#include <cstdio>

namespace kmodx {

inline void print_tool_version(const char* kmodx_version, bool with_features) {
    std::printf("kmodx version %s (kmod 30 compatible)\n", kmodx_version);
    if (with_features) std::puts("+ZSTD +XZ +ZLIB +LIBCRYPTO -EXPERIMENTAL");
}

}  // namespace kmodx
