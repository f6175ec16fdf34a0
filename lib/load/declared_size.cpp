// SPDX-License-Identifier: LGPL-2.1-or-later
#include "load/declared_size.hpp"

#include "core/crc32.hpp"

#include <unistd.h>

#include <cerrno>
#include <span>
#include <vector>

namespace kmodx {
namespace {

bool pread_exact(int fd, void* buf, std::size_t n, std::uint64_t off) {
    auto* p = static_cast<std::byte*>(buf);
    while (n > 0) {
        ssize_t r = ::pread(fd, p, n, static_cast<off_t>(off));
        if (r < 0 && errno == EINTR) continue;  // a signal, not an unreadable size
        if (r <= 0) return false;
        p += r, n -= static_cast<std::size_t>(r), off += static_cast<std::uint64_t>(r);
    }
    return true;
}

std::optional<std::uint64_t> gzip_size(int fd, std::uint64_t size) {
    unsigned char t[4];
    if (size < 18 || !pread_exact(fd, t, 4, size - 4)) return std::nullopt;
    return std::uint64_t{t[0]} | std::uint64_t{t[1]} << 8 | std::uint64_t{t[2]} << 16 | std::uint64_t{t[3]} << 24;
}

// Read by hand, not with liblzma or libzstd: a module the kernel
// decompresses must load where neither library is installed (Debian 13's
// initramfs carries liblzma only for kernels that cannot decompress), and
// dlopen()ing one to read a dozen bytes cost every cold load its mapping.

// xz: the stream footer (CRC32, backward size, flags, "YZ") names the index
// before it; the index (0x00, record count, per block its unpadded and
// uncompressed size, zero padding to 4 bytes, CRC32) gives the sizes. Both
// CRCs are checked, as liblzma checks them. Single-stream files only (what
// xz(1) and the kernel build produce).
constexpr std::size_t kXzFooter = 12;

std::uint32_t le32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

// An xz variable-length integer: 7 bits a byte, low first, at most 9 bytes,
// no trailing zero byte (the spec's "multibyte integer").
std::optional<std::uint64_t> vli(std::span<const std::uint8_t> in, std::size_t& pos) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < 9 && pos < in.size(); ++i) {
        const std::uint8_t b = in[pos++];
        v |= std::uint64_t{b & 0x7Fu} << (7 * i);
        if (!(b & 0x80)) {
            if (b == 0 && i > 0) return std::nullopt;
            return v;
        }
    }
    return std::nullopt;
}

bool crc_matches(std::span<const std::uint8_t> bytes, const std::uint8_t* stored) {
    return crc32(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())) == le32(stored);
}

std::optional<std::uint64_t> xz_size(int fd, std::uint64_t size) {
    std::uint8_t footer[kXzFooter];
    if (size < 2 * kXzFooter || !pread_exact(fd, footer, sizeof footer, size - sizeof footer)) return std::nullopt;
    if (footer[10] != 'Y' || footer[11] != 'Z' || footer[8] != 0 || (footer[9] & 0xF0) != 0 ||
        !crc_matches(std::span(footer + 4, 6), footer))
        return std::nullopt;
    const std::uint64_t backward = (std::uint64_t{le32(footer + 4)} + 1) * 4;
    if (backward > size - 2 * kXzFooter || backward > (1u << 24)) return std::nullopt;
    std::vector<std::uint8_t> index(backward);
    if (!pread_exact(fd, index.data(), index.size(), size - sizeof footer - index.size())) return std::nullopt;
    const std::span<const std::uint8_t> body(index.data(), index.size() - 4);
    if (body.empty() || body[0] != 0 || !crc_matches(body, index.data() + body.size())) return std::nullopt;
    std::size_t pos = 1;
    const auto records = vli(body, pos);
    if (!records) return std::nullopt;
    std::uint64_t total = 0;
    for (std::uint64_t r = 0; r < *records; ++r) {
        const auto unpadded = vli(body, pos);
        const auto uncompressed = vli(body, pos);
        if (!unpadded || !uncompressed || *unpadded == 0) return std::nullopt;
        if (total + *uncompressed < total) return std::nullopt;
        total += *uncompressed;
    }
    // Zero padding up to a multiple of four, then nothing before the CRC.
    if (body.size() - pos >= 4) return std::nullopt;
    for (; pos < body.size(); ++pos)
        if (body[pos] != 0) return std::nullopt;
    return total;
}

// zstd: the frame header's content size, when the frame declares one
// (RFC 8878, 3.1.1.1): magic, descriptor, window byte unless single
// segment, dictionary id of 0/1/2/4 bytes, then 0/1/2/4/8 bytes of size
// (the 2-byte form counts from 256).
std::optional<std::uint64_t> zstd_size(int fd, std::uint64_t size) {
    std::uint8_t head[18];  // the longest frame header
    const std::size_t n = size < sizeof head ? static_cast<std::size_t>(size) : sizeof head;
    if (n < 5 || !pread_exact(fd, head, n, 0) || le32(head) != 0xFD2FB528u) return std::nullopt;
    const std::uint8_t desc = head[4];
    if (desc & 0x08) return std::nullopt;  // reserved bit
    const bool single = desc & 0x20;
    const unsigned fcs_flag = desc >> 6;
    static constexpr std::size_t kDictBytes[] = {0, 1, 2, 4};
    static constexpr std::size_t kSizeBytes[] = {0, 2, 4, 8};
    const std::size_t at = 5 + (single ? 0 : 1) + kDictBytes[desc & 3];
    const std::size_t len = fcs_flag == 0 ? (single ? 1 : 0) : kSizeBytes[fcs_flag];
    if (len == 0 || at + len > n) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < len; ++i) v |= std::uint64_t{head[at + i]} << (8 * i);
    return len == 2 ? v + 256 : v;
}

}  // namespace

std::optional<std::uint64_t> declared_size(int fd, std::uint64_t file_bytes, Compression format) {
    switch (format) {
        case Compression::Gzip: return gzip_size(fd, file_bytes);
        case Compression::Xz: return xz_size(fd, file_bytes);
        case Compression::Zstd: return zstd_size(fd, file_bytes);
        case Compression::None: break;
    }
    return file_bytes;
}

}  // namespace kmodx
