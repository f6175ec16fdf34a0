// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/compression.hpp>

namespace kmodx {

std::string_view compression_name(Compression c) {
    switch (c) {
        case Compression::Gzip: return "gzip";
        case Compression::Xz: return "xz";
        case Compression::Zstd: return "zstd";
        case Compression::None: break;
    }
    return "none";
}

std::optional<Compression> compression_from_name(std::string_view name) {
    if (name == "gzip") return Compression::Gzip;
    if (name == "xz") return Compression::Xz;
    if (name == "zstd") return Compression::Zstd;
    return std::nullopt;
}

}  // namespace kmodx
