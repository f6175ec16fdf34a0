// SPDX-License-Identifier: LGPL-2.1-or-later
// The userspace decompressors (lib/core/decompress.cpp) on arbitrary input.
// Input: [mode byte][4-byte bound][payload].
//   mode & 3 picks the format (0: by magic, as ModuleImage does; 1 gzip,
//   2 xz, 3 zstd); mode & 4 turns the payload into a round trip: it is
//   compressed with the real library and must come back byte for byte, and
//   exactly at its size the bound must pass and one byte below fail EFBIG.
// Properties: no memory error; success never yields more than the bound;
// failure is EFBIG, EBADMSG or ENOMEM; while decompressing, no allocation
// exceeds the bound by more than the decoder libraries' own state (xz and
// zstd cap their window at 128 MiB), which is what makes a bomb cheap.
#include <kmodx/compression.hpp>

#include "fuzz_common.hpp"

#include <lzma.h>
#include <sanitizer/allocator_interface.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace {

std::size_t g_largest = 0;
bool g_watch = false;

void on_malloc(const volatile void*, std::size_t size) {
    if (g_watch) g_largest = std::max(g_largest, size);
}
void on_free(const volatile void*) {}

std::vector<std::byte> gzip_of(std::span<const std::byte> in, int level) {
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
    std::vector<std::byte> out(deflateBound(&zs, in.size()) + 32);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

std::vector<std::byte> xz_of(std::span<const std::byte> in, int level) {
    std::vector<std::byte> out(lzma_stream_buffer_bound(in.size()));
    std::size_t pos = 0;
    if (lzma_easy_buffer_encode(static_cast<std::uint32_t>(level), LZMA_CHECK_CRC32, nullptr,
                                reinterpret_cast<const std::uint8_t*>(in.data()), in.size(),
                                reinterpret_cast<std::uint8_t*>(out.data()), &pos, out.size()) != LZMA_OK)
        std::abort();
    out.resize(pos);
    return out;
}

std::vector<std::byte> zstd_of(std::span<const std::byte> in, int level) {
    std::vector<std::byte> out(ZSTD_compressBound(in.size()));
    std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level);
    if (ZSTD_isError(n)) std::abort();
    out.resize(n);
    return out;
}

kmodx::Result<std::vector<std::byte>> run(kmodx::Compression c, std::span<const std::byte> in, std::size_t bound) {
    g_largest = 0;
    g_watch = true;
    auto r = kmodx::decompress(c, in, bound);
    g_watch = false;
    if (r) {
        FUZZ_CHECK(r->size() <= bound);
    } else {
        int e = r.error().code;
        FUZZ_CHECK(e == EFBIG || e == EBADMSG || e == ENOMEM);
        FUZZ_CHECK(!r.error().context.empty());
    }
    // zlib's state is a few dozen KiB; xz's dictionary and zstd's window are
    // capped by their memory limits (128 MiB) whatever the bound.
    std::size_t slack = c == kmodx::Compression::Gzip ? (1u << 20) : (129u << 20);
    FUZZ_CHECK(g_largest <= std::max(bound, slack));
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.byte();
    // Up to 4 MiB: big enough for bombs to matter, small enough to be quick.
    const std::size_t bound = in.u32() % ((4u << 20) + 1);
    const auto payload = in.rest();

    kmodx::Compression c = kmodx::Compression::None;
    switch (mode & 3) {
        case 0: c = kmodx::detect_compression(payload); break;
        case 1: c = kmodx::Compression::Gzip; break;
        case 2: c = kmodx::Compression::Xz; break;
        case 3: c = kmodx::Compression::Zstd; break;
    }

    if (!(mode & 4) || c == kmodx::Compression::None) {
        auto r = run(c, payload, bound);
        if (r && c == kmodx::Compression::None) FUZZ_CHECK(r->size() == payload.size());
        return 0;
    }

    // Round trip, at a level taken from the mode byte.
    const int level = (mode >> 3) % 10;
    std::vector<std::byte> packed;
    switch (c) {
        case kmodx::Compression::Gzip: packed = gzip_of(payload, std::max(level, 1)); break;
        // xz's higher presets need up to 674 MiB to encode: only the fast ones.
        case kmodx::Compression::Xz: packed = xz_of(payload, level % 4); break;
        case kmodx::Compression::Zstd: packed = zstd_of(payload, level + 1); break;
        case kmodx::Compression::None: break;
    }
    FUZZ_CHECK(kmodx::detect_compression(packed) == c);
    auto whole = run(c, packed, payload.size());
    FUZZ_CHECK(whole.has_value());
    FUZZ_CHECK(whole->size() == payload.size());
    FUZZ_CHECK(std::equal(whole->begin(), whole->end(), payload.begin()));
    if (!payload.empty()) {
        auto short_by_one = run(c, packed, payload.size() - 1);
        FUZZ_CHECK(!short_by_one && short_by_one.error().code == EFBIG);
    }
    return 0;
}
