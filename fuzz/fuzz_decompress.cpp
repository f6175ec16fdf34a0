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
// The size a file declares (lib/load/declared_size.cpp, read by hand without
// liblzma or libzstd): wherever the library itself reads a size from the
// same bytes (liblzma: the last stream's footer and index; libzstd: the first
// frame's header), kmodx reads the same; a round trip's file declares
// exactly the payload's size.
#include <kmodx/compression.hpp>

#include "load/declared_size.hpp"

#include "fuzz_common.hpp"

#include <sys/mman.h>
#include <unistd.h>

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

// declared_size() of BYTES, through a memfd as a module file would be read.
std::optional<std::uint64_t> declared(kmodx::Compression c, std::span<const std::byte> bytes) {
    const int fd = ::memfd_create("fuzz_declared", MFD_CLOEXEC);
    if (fd < 0) std::abort();
    for (std::size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n <= 0) std::abort();
        done += static_cast<std::size_t>(n);
    }
    auto size = kmodx::declared_size(fd, bytes.size(), c);
    ::close(fd);
    return size;
}

// What liblzma reads from the last 12 bytes (a stream footer) and the index
// they point to; nullopt where it refuses.
std::optional<std::uint64_t> lzma_declared(std::span<const std::byte> in) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(in.data());
    if (in.size() < 2 * LZMA_STREAM_HEADER_SIZE) return std::nullopt;
    lzma_stream_flags footer;
    if (lzma_stream_footer_decode(&footer, p + in.size() - LZMA_STREAM_HEADER_SIZE) != LZMA_OK) return std::nullopt;
    // A stream's header comes before its index: a footer pointing into it
    // is no stream's, whatever the bytes there say.
    if (footer.backward_size > in.size() - 2 * LZMA_STREAM_HEADER_SIZE) return std::nullopt;
    const std::size_t at = in.size() - LZMA_STREAM_HEADER_SIZE - footer.backward_size;
    lzma_index* index = nullptr;
    std::uint64_t memlimit = 64u << 20;
    std::size_t pos = 0;
    if (lzma_index_buffer_decode(&index, &memlimit, nullptr, p + at, &pos, footer.backward_size) != LZMA_OK)
        return std::nullopt;
    const bool whole = pos == footer.backward_size;
    const std::uint64_t size = lzma_index_uncompressed_size(index);
    lzma_index_end(index, nullptr);
    if (!whole) return std::nullopt;
    return size;
}

// What libzstd reads from the first frame's header; nullopt for a frame that
// does not say, or bytes that are no zstd frame.
std::optional<std::uint64_t> zstd_declared(std::span<const std::byte> in) {
    if (in.size() < 4) return std::nullopt;
    std::uint32_t magic = 0;
    std::memcpy(&magic, in.data(), 4);
    if (magic != ZSTD_MAGICNUMBER) return std::nullopt;  // a skippable frame declares nothing
    const unsigned long long size = ZSTD_getFrameContentSize(in.data(), in.size());
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR) return std::nullopt;
    return size;
}

void check_declared(kmodx::Compression c, std::span<const std::byte> in) {
    std::optional<std::uint64_t> library;
    if (c == kmodx::Compression::Xz) library = lzma_declared(in);
    if (c == kmodx::Compression::Zstd) library = zstd_declared(in);
    if (!library) return;
    const auto mine = declared(c, in);
    FUZZ_CHECK(mine.has_value());
    FUZZ_CHECK(*mine == *library);
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
        check_declared(c, payload);
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
    const auto stated = declared(c, packed);
    FUZZ_CHECK(stated.has_value());
    FUZZ_CHECK(*stated == (c == kmodx::Compression::Gzip ? payload.size() & 0xFFFFFFFFu : payload.size()));
    check_declared(c, packed);
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
