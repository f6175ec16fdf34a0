// SPDX-License-Identifier: LGPL-2.1-or-later
// Userspace decompression of module images (gzip, xz, zstd).
//
// The output buffer grows geometrically but never beyond max_output: once it
// is full at the bound, a one-byte probe asks the decoder whether anything is
// left, so an image of exactly max_output bytes still decodes and a bomb fails
// with EFBIG having allocated at most max_output bytes.
#include <kmodx/compression.hpp>
#include <kmodx/kmod_compat.hpp>

#include "core/lazy_lib.hpp"
#include "core/zlib_lazy.hpp"

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace kmodx {
namespace {

constexpr std::byte kGzipMagic[] = {std::byte{0x1f}, std::byte{0x8b}};
constexpr std::byte kXzMagic[] = {std::byte{0xfd}, std::byte{'7'}, std::byte{'z'},
                                  std::byte{'X'},  std::byte{'Z'}, std::byte{0x00}};
constexpr std::byte kZstdMagic[] = {std::byte{0x28}, std::byte{0xb5}, std::byte{0x2f}, std::byte{0xfd}};

// xz as used for modules has dictionaries of a few MiB (the kernel's own
// decoder cannot handle more); anything demanding more is not a module.
constexpr std::uint64_t kXzMemlimit = 128u << 20;
constexpr std::size_t kMinChunk = 64u << 10;

template <std::size_t N>
bool starts_with(std::span<const std::byte> data, const std::byte (&magic)[N]) {
    return data.size() >= N && std::memcmp(data.data(), magic, N) == 0;
}

// Owns the growing output and the bound check shared by the three decoders.
class Sink {
public:
    Sink(std::size_t max_output, std::size_t hint) : max_(max_output) {
        buf_.resize(std::min(max_output, std::max(hint, kMinChunk)));
    }

    // Free space for the decoder; grows the buffer when full. Returns an
    // empty span when the buffer is at the bound.
    std::span<std::byte> space() {
        if (used_ == buf_.size() && buf_.size() < max_) {
            std::size_t next = buf_.size() > max_ / 2 ? max_ : buf_.size() * 2;
            // reserve() first: resize() alone may take twice the old size
            // (libstdc++ grows by max(size, added)), past the bound.
            buf_.reserve(next);
            buf_.resize(next);
        }
        return std::span<std::byte>(buf_).subspan(used_);
    }
    void produced(std::size_t n) { used_ += n; }
    bool full() const { return used_ == max_; }

    std::vector<std::byte> take() {
        buf_.resize(used_);
        return std::move(buf_);
    }

private:
    std::vector<std::byte> buf_;
    std::size_t used_ = 0;
    std::size_t max_;
};

std::unexpected<Error> too_big(std::string_view fmt, std::size_t max_output) {
    return failure(EFBIG, std::string(fmt) + ": output exceeds " + std::to_string(max_output) + " bytes");
}

Result<std::vector<std::byte>> gunzip(std::span<const std::byte> in, std::size_t max_output) {
    auto z = zlib::api();
    if (!z) return std::unexpected(z.error());
    const zlib::Api& api = **z;
    z_stream zs{};
    // 16 + MAX_WBITS: gzip wrapper only, so a raw zlib stream is rejected.
    if (api.inflate_init2(&zs, 16 + MAX_WBITS, ZLIB_VERSION, static_cast<int>(sizeof(z_stream))) != Z_OK)
        return failure(ENOMEM, "gzip: inflateInit2");
    struct Guard {
        const zlib::Api& api;
        z_stream* s;
        ~Guard() { api.inflate_end(s); }
    } guard{api, &zs};

    Sink sink(max_output, in.size() * 4);
    std::size_t offset = 0;
    for (;;) {
        // zlib counts in uInt: feed at most 1 GiB per call.
        std::size_t avail = std::min<std::size_t>(in.size() - offset, 1u << 30);
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + offset));
        zs.avail_in = static_cast<uInt>(avail);
        std::byte probe;
        auto out = sink.space();
        bool probing = out.empty();
        if (probing) out = std::span<std::byte>(&probe, 1);
        zs.next_out = reinterpret_cast<Bytef*>(out.data());
        zs.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size(), 1u << 30));
        std::size_t out_before = zs.avail_out;

        int rc = api.inflate(&zs, Z_NO_FLUSH);
        std::size_t made = out_before - zs.avail_out;
        std::size_t used = avail - zs.avail_in;
        offset += used;
        if (probing && made > 0) return too_big("gzip", max_output);
        if (!probing) sink.produced(made);

        if (rc == Z_STREAM_END) {
            if (offset == in.size()) return sink.take();
            // Concatenated members are one valid gzip file; anything else
            // after a member is garbage we refuse to guess about.
            if (!starts_with(in.subspan(offset), kGzipMagic))
                return failure(EBADMSG, "gzip: trailing garbage after compressed data");
            if (api.inflate_reset(&zs) != Z_OK) return failure(EBADMSG, "gzip: inflateReset");
            continue;
        }
        if (rc == Z_MEM_ERROR) return failure(ENOMEM, "gzip");
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return failure(EBADMSG, std::string("gzip: ") + (zs.msg ? zs.msg : "corrupt input"));
        // The stream has not ended: without new input or fresh output space
        // nothing will ever change.
        if (made == 0 && used == 0) return failure(EBADMSG, "gzip: truncated input");
    }
}

// kmod 34.2's libkmod logs a failed xz decode with one of these lines
// (libkmod-file-xz.c, xz_uncompress_belch) and answers EINVAL; kmod34 builds
// put its text in the error, which the loader prints (load/loader.cpp).
std::unexpected<Error> xz_failure(lzma_ret rc) {
    const char* text = "xz: Internal error (bug)";
    switch (rc) {
        case LZMA_MEM_ERROR: text = "xz: Cannot allocate memory"; break;
        case LZMA_FORMAT_ERROR: text = "xz: File format not recognized"; break;
        case LZMA_OPTIONS_ERROR: text = "xz: Unsupported compression options"; break;
        case LZMA_DATA_ERROR: text = "xz: File is corrupt"; break;
        case LZMA_BUF_ERROR: text = "xz: Unexpected end of input"; break;
        case LZMA_MEMLIMIT_ERROR:  // kmodx's limit; libkmod sets none
            return failure(EBADMSG,
                           "xz: stream needs more than " + std::to_string(kXzMemlimit >> 20) + " MiB to decode");
        default: break;
    }
    return failure(EBADMSG, text);
}

Result<std::vector<std::byte>> unxz(std::span<const std::byte> in, std::size_t max_output) {
    lzma_stream ls = LZMA_STREAM_INIT;
    lzma_ret rc = lzma_stream_decoder(&ls, kXzMemlimit, LZMA_CONCATENATED);
    if (rc != LZMA_OK) {
        if constexpr (kmod34) return xz_failure(rc == LZMA_MEM_ERROR ? rc : LZMA_PROG_ERROR);
        return failure(ENOMEM, "xz: lzma_stream_decoder");
    }
    struct Guard {
        lzma_stream* s;
        ~Guard() { lzma_end(s); }
    } guard{&ls};

    Sink sink(max_output, in.size() * 4);
    ls.next_in = reinterpret_cast<const uint8_t*>(in.data());
    ls.avail_in = in.size();
    for (;;) {
        std::byte probe;
        auto out = sink.space();
        bool probing = out.empty();
        if (probing) out = std::span<std::byte>(&probe, 1);
        ls.next_out = reinterpret_cast<uint8_t*>(out.data());
        ls.avail_out = out.size();

        // All input is present: LZMA_FINISH makes a truncated stream an error
        // instead of a request for more.
        rc = lzma_code(&ls, LZMA_FINISH);
        std::size_t made = out.size() - ls.avail_out;
        if (probing && made > 0) return too_big("xz", max_output);
        if (!probing) sink.produced(made);

        if constexpr (kmod34) {
            if (rc != LZMA_OK && rc != LZMA_STREAM_END) return xz_failure(rc);
        }
        switch (rc) {
            case LZMA_OK: continue;
            case LZMA_STREAM_END: return sink.take();
            case LZMA_MEM_ERROR: return failure(ENOMEM, "xz");
            case LZMA_MEMLIMIT_ERROR:
                return failure(ENOMEM,
                               "xz: stream needs more than " + std::to_string(kXzMemlimit >> 20) + " MiB to decode");
            case LZMA_BUF_ERROR:  // no progress twice in a row with all input given
                return failure(EBADMSG, "xz: truncated input");
            default: return failure(EBADMSG, "xz: corrupt input");
        }
    }
}

// kmod 34.2's way (libkmod-file-zstd.c): the frame must declare its size,
// and one ZSTD_decompress() call into a buffer of that size decodes it, so
// the same input gives the same zstd error name. Its log lines are the error
// text, EBADMSG (EINVAL for the tools). The bound applies to the declared size
// before anything is allocated.
Result<std::vector<std::byte>> unzstd_whole(std::span<const std::byte> in, std::size_t max_output) {
    unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
    if (declared == 0 || declared == ZSTD_CONTENTSIZE_UNKNOWN || declared == ZSTD_CONTENTSIZE_ERROR)
        return failure(EBADMSG, "zstd: Failed to determine decompression size");
    if (declared > max_output) return too_big("zstd", max_output);
    // Not a zeroed vector: a header that lies costs only the pages written.
    const std::size_t size = static_cast<std::size_t>(declared);
    std::unique_ptr<void, decltype(&std::free)> buf(std::malloc(size), std::free);
    if (!buf) return failure(ENOMEM, "zstd");
    std::size_t n = ZSTD_decompress(buf.get(), size, in.data(), in.size());
    if (ZSTD_isError(n)) return failure(EBADMSG, std::string("zstd: ") + ZSTD_getErrorName(n));
    const auto* p = static_cast<const std::byte*>(buf.get());
    return std::vector<std::byte>(p, p + n);
}

Result<std::vector<std::byte>> unzstd(std::span<const std::byte> in, std::size_t max_output) {
    if constexpr (kmod34) return unzstd_whole(in, max_output);
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
    if (!dctx) return failure(ENOMEM, "zstd: ZSTD_createDCtx");

    // The declared content size only sizes the first allocation, and only up
    // to a plausible ratio: a header claiming GiBs for a few KiB of input must
    // not reserve them. The bound applies to what the decoder really produces.
    std::size_t hint = in.size() * 4;
    unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR)
        hint = static_cast<std::size_t>(std::min<unsigned long long>(declared, std::max(in.size() * 16, kMinChunk)));

    Sink sink(max_output, hint);
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    std::size_t last = 1;  // non-zero: a frame is in progress (or none began)
    for (;;) {
        std::byte probe;
        auto out = sink.space();
        bool probing = out.empty();
        if (probing) out = std::span<std::byte>(&probe, 1);
        ZSTD_outBuffer ob{out.data(), out.size(), 0};
        std::size_t before_in = ib.pos;

        last = ZSTD_decompressStream(dctx.get(), &ob, &ib);
        if (ZSTD_isError(last)) {
            if (ZSTD_getErrorCode(last) == ZSTD_error_memory_allocation) return failure(ENOMEM, "zstd");
            return failure(EBADMSG, std::string("zstd: ") + ZSTD_getErrorName(last));
        }
        if (probing && ob.pos > 0) return too_big("zstd", max_output);
        if (!probing) sink.produced(ob.pos);

        // 0 means the current frame is complete and flushed.
        if (ib.pos == ib.size && last == 0) return sink.take();
        if (ob.pos == ob.size) continue;  // output pending: drain into more space
        if (ob.pos == 0 && ib.pos == before_in) return failure(EBADMSG, "zstd: truncated input");
    }
}

}  // namespace

Compression detect_compression(std::span<const std::byte> head) {
    if (starts_with(head, kGzipMagic)) return Compression::Gzip;
    if (starts_with(head, kXzMagic)) return Compression::Xz;
    if (starts_with(head, kZstdMagic)) return Compression::Zstd;
    return Compression::None;
}

Result<std::vector<std::byte>> decompress(Compression c, std::span<const std::byte> input, std::size_t max_output) {
    switch (c) {
        case Compression::Gzip: return gunzip(input, max_output);
        case Compression::Xz:
            if (!lazy::available(lazy::Lib::Lzma)) return failure(ENOTSUP, "xz: cannot load liblzma.so.5");
            return unxz(input, max_output);
        case Compression::Zstd:
            if (!lazy::available(lazy::Lib::Zstd)) return failure(ENOTSUP, "zstd: cannot load libzstd.so.1");
            return unzstd(input, max_output);
        case Compression::None: break;
    }
    if (input.size() > max_output) return too_big("image", max_output);
    return std::vector<std::byte>(input.begin(), input.end());
}

}  // namespace kmodx
