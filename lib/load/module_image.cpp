// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/module_image.hpp>

#include "load/stopwatch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace kmodx {
namespace {

// Reads up to buf.size() bytes at offset; short only at end of file.
Result<std::size_t> pread_full(int fd, std::span<std::byte> buf, off_t offset) {
    std::size_t done = 0;
    while (done < buf.size()) {
        ssize_t n = ::pread(fd, buf.data() + done, buf.size() - done, offset + off_t(done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return failure_errno("read");
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    return done;
}

}  // namespace

Result<ModuleImage> ModuleImage::open(const std::string& path, ImageLimits limits) {
    ModuleImage m;
    m.path_ = path;
    m.limits_ = limits;
    // O_NONBLOCK only so that a FIFO given by mistake cannot hang the open;
    // it is cleared again once the file is known to be regular.
    m.fd_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!m.fd_) return failure_errno("could not open " + path);
    struct stat st;
    if (::fstat(m.fd_.get(), &st) != 0) return failure_errno("could not stat " + path);
    if (S_ISDIR(st.st_mode)) return failure(EISDIR, path + " is a directory, not a module file");
    if (!S_ISREG(st.st_mode)) return failure(EINVAL, path + " is not a regular file");
    if (::fcntl(m.fd_.get(), F_SETFL, 0) != 0) return failure_errno("fcntl " + path);
    m.file_bytes_ = static_cast<std::uint64_t>(st.st_size);
    if (m.file_bytes_ > limits.max_file_bytes)
        return failure(EFBIG, path + " is larger than " + std::to_string(limits.max_file_bytes) + " bytes");

    std::array<std::byte, 8> head{};
    auto got = pread_full(m.fd_.get(), head, 0);
    if (!got) return failure(got.error().code, "could not read " + path);
    m.format_ = detect_compression(std::span<const std::byte>(head.data(), *got));
    return m;
}

Result<std::span<const std::byte>> ModuleImage::file_contents() {
    if (!read_) {
        const Stopwatch watch;
        file_.resize(file_bytes_);
        auto got = pread_full(fd_.get(), file_, 0);
        if (!got) return failure(got.error().code, "could not read " + path_);
        // A file that shrank meanwhile is loaded as it is now; the kernel
        // would see the same bytes through the fd.
        file_.resize(*got);
        read_ = true;
        read_ns_ = watch.elapsed_ns();
    }
    return std::span<const std::byte>(file_);
}

Result<std::span<std::byte>> ModuleImage::image() {
    auto raw = file_contents();
    if (!raw) return std::unexpected(raw.error());
    if (format_ == Compression::None) {
        image_ready_ = true;
        return std::span<std::byte>(file_);
    }
    if (!image_ready_) {
        const Stopwatch watch;
        auto out = decompress(format_, *raw, limits_.max_image_bytes);
        decompress_ns_ = watch.elapsed_ns();
        if (!out) {
            decode_error_ = out.error().context;
            return failure(out.error().code, "could not decompress " + path_ + " (" + out.error().context + ")");
        }
        image_ = std::move(*out);
        image_ready_ = true;
        decompressed_ = true;
    }
    return std::span<std::byte>(image_);
}

std::uint64_t ModuleImage::image_bytes() const {
    if (!image_ready_) return 0;
    return format_ == Compression::None ? file_.size() : image_.size();
}

}  // namespace kmodx
