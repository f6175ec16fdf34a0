// SPDX-License-Identifier: LGPL-2.1-or-later
// zlib, loaded on first use. Debian's kernels ship uncompressed or xz/zstd
// modules, so gzip is rare, yet a linked libz would be mapped and relocated
// by every modprobe start (the commonest call at boot finds its module live
// and does nothing else). liblzma and libzstd are loaded on first use too
// (lazy_lib.hpp).
#pragma once

#include <kmodx/result.hpp>

#include <zlib.h>

namespace kmodx::zlib {

struct Api {
    decltype(&::inflateInit2_) inflate_init2;
    decltype(&::inflate) inflate;
    decltype(&::inflateReset) inflate_reset;
    decltype(&::inflateEnd) inflate_end;
};

// The loaded library's entry points, or ENOTSUP when libz.so.1 is missing.
Result<const Api*> api();

}  // namespace kmodx::zlib
