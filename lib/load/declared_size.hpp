// SPDX-License-Identifier: LGPL-2.1-or-later
// The decompressed size a compressed module file declares about itself,
// read from its headers/trailers without decompressing: gzip's ISIZE
// trailer (mod 2^32, last member only), xz's index, zstd's frame header.
// Used for statistics when the kernel does the decompression; it is what the
// file claims, not a verified fact, so never a basis for allocation.
#pragma once

#include <kmodx/compression.hpp>

#include <cstdint>
#include <optional>

namespace kmodx {

std::optional<std::uint64_t> declared_size(int fd, std::uint64_t file_bytes, Compression format);

}  // namespace kmodx
