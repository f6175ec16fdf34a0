// SPDX-License-Identifier: LGPL-2.1-or-later
// The liblzma and libzstd functions kmodx calls, loaded on first use
// (core/lazy_lib.hpp): only a compressed module needs them.
#include "core/lazy_lib.hpp"

#include <lzma.h>
#include <zstd.h>
#include <zstd_errors.h>

using kmodx::lazy::Lib;

// One line per function, its signature as the library's header declares it.
// clang-format off

KMODX_LAZY(Lib::Lzma, lzma_ret, lzma_code, (lzma_stream *strm, lzma_action action), (strm, action), noexcept)
KMODX_LAZY(Lib::Lzma, void, lzma_end, (lzma_stream *strm), (strm), noexcept)
KMODX_LAZY(Lib::Lzma, lzma_ret, lzma_stream_decoder, (lzma_stream *strm, uint64_t memlimit, uint32_t flags), (strm, memlimit, flags), noexcept)
KMODX_LAZY(Lib::Zstd, ZSTD_DCtx*, ZSTD_createDCtx, (void), ())
KMODX_LAZY(Lib::Zstd, size_t, ZSTD_freeDCtx, (ZSTD_DCtx* dctx), (dctx))
KMODX_LAZY(Lib::Zstd, size_t, ZSTD_decompress, (void* dst, size_t dstCapacity, const void* src, size_t compressedSize), (dst, dstCapacity, src, compressedSize))
KMODX_LAZY(Lib::Zstd, size_t, ZSTD_decompressStream, (ZSTD_DStream* zds, ZSTD_outBuffer* output, ZSTD_inBuffer* input), (zds, output, input))
KMODX_LAZY(Lib::Zstd, ZSTD_ErrorCode, ZSTD_getErrorCode, (size_t functionResult), (functionResult))
KMODX_LAZY(Lib::Zstd, const char*, ZSTD_getErrorName, (size_t code), (code))
KMODX_LAZY(Lib::Zstd, unsigned long long, ZSTD_getFrameContentSize, (const void *src, size_t srcSize), (src, srcSize))
KMODX_LAZY(Lib::Zstd, unsigned, ZSTD_isError, (size_t code), (code))
