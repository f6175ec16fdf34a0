#include "load/declared_size.hpp"

#include <lzma.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
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
    return std::uint64_t{t[0]} | std::uint64_t{t[1]} << 8 | std::uint64_t{t[2]} << 16 |
           std::uint64_t{t[3]} << 24;
}

// Single-stream files only (what xz(1) and the kernel build produce).
std::optional<std::uint64_t> xz_size(int fd, std::uint64_t size) {
    std::uint8_t footer[LZMA_STREAM_HEADER_SIZE];
    if (size < 2 * LZMA_STREAM_HEADER_SIZE ||
        !pread_exact(fd, footer, sizeof footer, size - sizeof footer))
        return std::nullopt;
    lzma_stream_flags flags;
    if (lzma_stream_footer_decode(&flags, footer) != LZMA_OK) return std::nullopt;
    if (flags.backward_size > size - 2 * LZMA_STREAM_HEADER_SIZE || flags.backward_size > (1u << 24))
        return std::nullopt;
    std::vector<std::uint8_t> index(flags.backward_size);
    if (!pread_exact(fd, index.data(), index.size(), size - sizeof footer - index.size()))
        return std::nullopt;
    lzma_index* idx = nullptr;
    std::uint64_t memlimit = 16u << 20;
    std::size_t pos = 0;
    if (lzma_index_buffer_decode(&idx, &memlimit, nullptr, index.data(), &pos, index.size()) != LZMA_OK)
        return std::nullopt;
    std::uint64_t out = lzma_index_uncompressed_size(idx);
    lzma_index_end(idx, nullptr);
    return out;
}

std::optional<std::uint64_t> zstd_size(int fd, std::uint64_t size) {
    std::uint8_t head[18];  // ZSTD_FRAMEHEADERSIZE_MAX (static-linking-only API)
    std::size_t n = size < sizeof head ? static_cast<std::size_t>(size) : sizeof head;
    if (!pread_exact(fd, head, n, 0)) return std::nullopt;
    unsigned long long s = ZSTD_getFrameContentSize(head, n);
    if (s == ZSTD_CONTENTSIZE_UNKNOWN || s == ZSTD_CONTENTSIZE_ERROR) return std::nullopt;
    return s;
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
