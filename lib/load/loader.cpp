// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/kmod_compat.hpp>
#include <kmodx/loader.hpp>
#include <kmodx/log.hpp>

#include "load/declared_size.hpp"
#include "load/elf.hpp"
#include "load/stopwatch.hpp"

#include <cerrno>

namespace kmodx {
namespace {

// What kmod does to a module image before init_module() under --force. A
// missing __versions or vermagic is fine (nothing to strip, as in kmod, which
// only logs it); an image that is not valid ELF is refused before the kernel
// sees it.
Status apply_force_edits(std::span<std::byte> image, const LoadRequest& req, const std::string& path) {
    auto refuse = [&](const Error& e) { return failure(ENOEXEC, path + ": " + e.context); };
    if (req.force_modversion) {
        auto r = elf::clear_alloc_flag(image, "__versions");
        if (!r && r.error().code != ENOENT) return refuse(r.error());
    }
    if (req.force_vermagic) {
        auto r = elf::strip_vermagic(image);
        if (!r && r.error().code != ENOENT) return refuse(r.error());
    }
    return {};
}

class Attempt {
public:
    Attempt(Kernel& k, const LoadRequest& req, LoadReport& rep) : k_(k), req_(req), rep_(rep) {}

    Result<LoadReport> run() {
        auto opened = ModuleImage::open(req_.path, req_.limits);
        if (!opened) return std::unexpected(opened.error());
        auto img = std::make_shared<ModuleImage>(std::move(*opened));
        if (req_.keep_image) rep_.image = img;
        rep_.format = img->format();
        rep_.file_bytes = img->file_bytes();
        if (img->format() == Compression::None) rep_.image_bytes = img->file_bytes();

        if (img->format() == Compression::None || k_.compression() == img->format()) {
            unsigned flags = force_flags(req_);
            if (img->format() != Compression::None) flags |= kInitCompressedFile;
            rep_.syscall = LoadSyscall::FinitModule;
            rep_.kernel_decompressed = img->format() != Compression::None;
            if (rep_.kernel_decompressed) {
                auto size = declared_size(img->fd(), img->file_bytes(), img->format());
                rep_.image_bytes = size.value_or(0);
                rep_.image_bytes_declared = size.has_value();
            }
            auto st = timed([&] { return k_.finit_module(img->fd(), req_.params, flags); });
            if (st || st.error().code != ENOSYS) return finish(st);
            // Kernels without finit_module still have init_module.
            rep_.finit_fell_back = true;
            rep_.kernel_decompressed = false;
            rep_.image_bytes_declared = false;
        }
        return load_buffer(*img);
    }

private:
    Result<LoadReport> load_buffer(ModuleImage& img) {
        // Debian 13 builds kmod 34.2 without zlib: libkmod answers a .ko.gz
        // the kernel does not decompress itself with ENOSYS, reading nothing
        // (libkmod-internal-file.h). kmodx, a drop-in for that kmod, refuses
        // it the same way; kmod 30 handed the bytes to the kernel (ENOEXEC),
        // so on Debian 12 kmodx decompresses gzip instead (README).
        if constexpr (kmod34) {
            if (img.format() == Compression::Gzip)
                return failure(ENOSYS, req_.path + ": gzip modules need the kernel to decompress them");
        }
        auto image = img.image();
        rep_.read_ns = img.read_ns();
        rep_.decompress_ns = img.decompress_ns();
        if (!image) {
            // libkmod 34 logs its decoder's complaint before the tool's own
            // line (libkmod-file-xz.c, libkmod-file-zstd.c).
            if constexpr (kmod34) {
                if (image.error().code == EBADMSG && !img.decode_error().empty())
                    KMODX_ERR("%s\n", img.decode_error().c_str());
            }
            return std::unexpected(image.error());
        }
        rep_.image_bytes = image->size();
        if (auto st = apply_force_edits(*image, req_, req_.path); !st) return std::unexpected(st.error());
        rep_.syscall = LoadSyscall::InitModule;
        return finish(timed([&] { return k_.init_module(*image, req_.params); }));
    }

    template <class F>
    Status timed(F call) {
        const Stopwatch watch;
        Status st = call();
        rep_.syscall_ns += watch.elapsed_ns();
        return st;
    }

    Result<LoadReport> finish(const Status& st) {
        if (st) {
            rep_.outcome = LoadOutcome::Inserted;
        } else if (st.error().code == EEXIST) {
            rep_.outcome = LoadOutcome::AlreadyLoaded;
        } else {
            return std::unexpected(st.error());
        }
        return rep_;
    }

    Kernel& k_;
    const LoadRequest& req_;
    LoadReport& rep_;
};

}  // namespace

unsigned force_flags(const LoadRequest& req) {
    unsigned flags = 0;
    if (req.force_modversion) flags |= kInitIgnoreModversions;
    if (req.force_vermagic) flags |= kInitIgnoreVermagic;
    return flags;
}

Result<LoadReport> load_module(Kernel& kernel, const LoadRequest& req, LoadReport* facts) {
    LoadReport local;
    LoadReport& rep = facts ? *facts : local;
    rep = LoadReport{};
    return Attempt(kernel, req, rep).run();
}

}  // namespace kmodx
