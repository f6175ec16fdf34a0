// SPDX-License-Identifier: LGPL-2.1-or-later
// CRC-32 (IEEE 802.3, the polynomial of zlib's crc32() and of xz's
// integrity fields): the stats store checks its records with it, and the
// module loader an xz file's footer and index.
#pragma once

#include <cstdint>
#include <string_view>

namespace kmodx {

std::uint32_t crc32(std::string_view bytes);

}  // namespace kmodx
