// SPDX-License-Identifier: LGPL-2.1-or-later
// A module file opened for loading: the fd (for finit_module), its format
// by magic bytes, and on demand its bytes and decompressed image (for
// init_module). Records the size and time facts a load report needs.
#pragma once

#include <kmodx/compression.hpp>
#include <kmodx/fd.hpp>
#include <kmodx/result.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kmodx {

struct ImageLimits {
    // Refuse absurd inputs before reading or decompressing them (EFBIG).
    std::uint64_t max_file_bytes = std::uint64_t{1} << 30;
    std::uint64_t max_image_bytes = std::uint64_t{1} << 30;
};

class ModuleImage {
public:
    // Opens O_RDONLY|O_CLOEXEC and reads only the magic bytes. Not a regular
    // file: EISDIR for a directory, EINVAL otherwise; larger than the limit:
    // EFBIG.
    static Result<ModuleImage> open(const std::string& path, ImageLimits limits = {});

    const std::string& path() const { return path_; }
    int fd() const { return fd_.get(); }
    Compression format() const { return format_; }
    std::uint64_t file_bytes() const { return file_bytes_; }

    // The whole file as stored (read once, by pread: the fd offset stays 0).
    Result<std::span<const std::byte>> file_contents();
    // The decompressed image (the file itself when uncompressed). Mutable so
    // the caller can apply --force edits before handing it to init_module.
    Result<std::span<std::byte>> image();

    // Size of image() once it was produced, 0 before (an uncompressed file
    // is its own image and needs no copy).
    std::uint64_t image_bytes() const;
    bool decompressed() const { return decompressed_; }
    // What the decoder said when image() failed to decompress (its error's
    // context, e.g. "xz: File is corrupt"); empty otherwise.
    const std::string& decode_error() const { return decode_error_; }
    std::uint64_t read_ns() const { return read_ns_; }
    std::uint64_t decompress_ns() const { return decompress_ns_; }

private:
    ModuleImage() = default;

    std::string path_;
    UniqueFd fd_;
    ImageLimits limits_;
    Compression format_ = Compression::None;
    std::uint64_t file_bytes_ = 0;
    bool read_ = false;
    bool decompressed_ = false;
    bool image_ready_ = false;
    std::vector<std::byte> file_;
    std::vector<std::byte> image_;
    std::string decode_error_;
    std::uint64_t read_ns_ = 0;
    std::uint64_t decompress_ns_ = 0;
};

}  // namespace kmodx
