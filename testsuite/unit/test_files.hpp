// SPDX-License-Identifier: LGPL-2.1-or-later
// Module files for tests: bytes compressed with the libraries' own encoders
// and written into a ScratchDir. Include it after every other header but
// cmocka.hpp: its helpers assert with cmocka, which must come last.
#pragma once

#include <kmodx/compression.hpp>

#include "scratch_dir.hpp"

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cmocka.hpp"

namespace kmodx::test {

using Bytes = std::vector<std::byte>;

inline std::string str(const Bytes& b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

inline Bytes gzip(const Bytes& in) {
    z_stream zs{};
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    Bytes out(deflateBound(&zs, in.size()) + 64);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
    zs.avail_in = in.size();
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = out.size();
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

inline Bytes xz(const Bytes& in, std::uint32_t preset = 0) {
    Bytes out(lzma_stream_buffer_bound(in.size()));
    std::size_t pos = 0;
    assert_int_equal(
        lzma_easy_buffer_encode(preset, LZMA_CHECK_CRC32, nullptr, reinterpret_cast<const uint8_t*>(in.data()),
                                in.size(), reinterpret_cast<uint8_t*>(out.data()), &pos, out.size()),
        LZMA_OK);
    out.resize(pos);
    return out;
}

// An xz stream of several blocks (the multithreaded encoder's block size)
// with CHECK: what xz -T0 and other encoders write.
inline Bytes xz_blocks(const Bytes& in, lzma_check check, std::uint64_t block_size) {
    lzma_mt mt{};
    mt.threads = 1;
    mt.block_size = block_size;
    mt.preset = 0;
    mt.check = check;
    lzma_stream ls = LZMA_STREAM_INIT;
    assert_int_equal(lzma_stream_encoder_mt(&ls, &mt), LZMA_OK);
    Bytes out(lzma_stream_buffer_bound(in.size()) + 4096);
    ls.next_in = reinterpret_cast<const uint8_t*>(in.data());
    ls.avail_in = in.size();
    ls.next_out = reinterpret_cast<uint8_t*>(out.data());
    ls.avail_out = out.size();
    assert_int_equal(lzma_code(&ls, LZMA_FINISH), LZMA_STREAM_END);
    out.resize(ls.total_out);
    lzma_end(&ls);
    return out;
}

inline Bytes zstd(const Bytes& in) {
    Bytes out(ZSTD_compressBound(in.size()));
    std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
    assert_false(ZSTD_isError(n));
    out.resize(n);
    return out;
}

// A zstd frame that does not declare its content size (streaming encoder).
inline Bytes zstd_without_size(const Bytes& in) {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
    Bytes out(ZSTD_compressBound(in.size()));
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    ZSTD_outBuffer ob{out.data(), out.size(), 0};
    assert_int_equal(ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_end), 0);
    ZSTD_freeCCtx(cctx);
    out.resize(ob.pos);
    return out;
}

inline Bytes compress(Compression c, const Bytes& in, std::uint32_t xz_preset = 0) {
    switch (c) {
        case Compression::Gzip: return gzip(in);
        case Compression::Xz: return xz(in, xz_preset);
        case Compression::Zstd: return zstd(in);
        case Compression::None: break;
    }
    return in;
}

// Writes `content` as `name` under `dir`; returns its full path.
inline std::string put(const ScratchDir& dir, const std::string& name, const Bytes& content) {
    dir.write(name, str(content));
    return dir.str() + "/" + name;
}

}  // namespace kmodx::test
