// SPDX-License-Identifier: LGPL-2.1-or-later
// Module file compression: detection by magic bytes (never by file name, a
// renamed .ko.xz must still load) and userspace decompression.
#pragma once

#include <kmodx/result.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace kmodx {

enum class Compression { None, Gzip, Xz, Zstd };

// Name as the kernel spells it in /sys/module/compression ("gzip", "xz", "zstd").
std::string_view compression_name(Compression c);
std::optional<Compression> compression_from_name(std::string_view name);

// Identifies the format from the first bytes of a file.
Compression detect_compression(std::span<const std::byte> head);

// Decompresses a whole image. Output larger than max_output fails with EFBIG
// before it is allocated (decompression bombs); corrupt or truncated input
// fails with EBADMSG (or ENOMEM when the library runs out of memory).
Result<std::vector<std::byte>> decompress(Compression c, std::span<const std::byte> input, std::size_t max_output);

}  // namespace kmodx
