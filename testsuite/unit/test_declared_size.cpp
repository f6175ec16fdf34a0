// SPDX-License-Identifier: LGPL-2.1-or-later
// declared_size(): the decompressed size a compressed module states, read by
// hand (xz index, zstd frame header, gzip trailer), with no codec library.
#include <kmodx/loader.hpp>

#include "load/declared_size.hpp"
#include "load/elf.hpp"
#include "fake_kernel.hpp"
#include "loader_fixture.hpp"
#include "scratch_dir.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "test_files.hpp"
#include "cmocka.hpp"

// Every other pread() of the process fails with EINTR while this is set, as
// reads of a file on a network file system can when a signal arrives: the
// code under test must retry, never take it for an unreadable file.
static bool g_interrupt_preads = false;
static unsigned g_preads = 0;

extern "C" ssize_t pread64(int fd, void* buf, size_t n, off64_t off) {
    if (g_interrupt_preads && g_preads++ % 2 == 0) {
        errno = EINTR;
        return -1;
    }
    return ::syscall(SYS_pread64, fd, buf, n, off);
}

using namespace kmodx;
using test::Bytes;
using test::Fixture;
using test::foo_module;
using test::xz;

static void declared_size_read_despite_interrupted_preads(void**) {
    for (Compression fmt : {Compression::Gzip, Compression::Xz, Compression::Zstd}) {
        Fixture f;
        Bytes m = foo_module(), packed = test::compress(fmt, m);
        UniqueFd fd(::open(f.put("foo.ko.x", packed).c_str(), O_RDONLY | O_CLOEXEC));
        assert_true(bool(fd));
        g_interrupt_preads = true;
        g_preads = 0;
        auto size = declared_size(fd.get(), packed.size(), fmt);
        g_interrupt_preads = false;
        assert_true(size.has_value());
        assert_int_equal(*size, m.size());
        assert_true(g_preads > 1);
    }
}

static void declared_size_missing_or_garbled_is_unknown(void**) {
    Bytes m = foo_module();
    Bytes nosize = test::zstd_without_size(m);
    // An xz file whose footer was damaged: the kernel will judge it, the
    // size peek must just give up.
    Bytes garbled = xz(m);
    garbled[garbled.size() - 6] ^= std::byte{0xff};
    struct Case {
        Compression fmt;
        Bytes file;
    } cases[] = {{Compression::Zstd, nosize}, {Compression::Xz, garbled}};
    for (const Case& c : cases) {
        Fixture f;
        f.kernel.kernel_compression = c.fmt;
        f.kernel.default_errno = EBADMSG;  // what a kernel says to a corrupt file
        LoadReport facts;
        LoadRequest req;
        req.path = f.put("foo.ko", c.file);
        auto r = load_module(f.kernel, req, &facts);
        if (c.fmt == Compression::Zstd) assert_int_equal(r.error().code, EBADMSG);
        assert_true(facts.kernel_decompressed);
        assert_false(facts.image_bytes_declared);
        assert_int_equal(facts.image_bytes, 0);
    }
}

static std::optional<std::uint64_t> size_of(const Bytes& file, Compression fmt) {
    Fixture f;
    UniqueFd fd(::open(f.put("m.ko.x", file).c_str(), O_RDONLY | O_CLOEXEC));
    assert_true(bool(fd));
    return declared_size(fd.get(), file.size(), fmt);
}

// kmodx reads xz's index itself: several blocks are summed, every check type
// is read past, and a damaged footer or index gives no size (liblzma's
// answer for each), never a wrong one.
static void declared_size_xz_index_read_by_hand(void**) {
    Bytes m;
    for (std::size_t i = 0; i < 200'000; ++i) m.push_back(std::byte(static_cast<unsigned char>((i * 7919) >> 5)));
    for (lzma_check check : {LZMA_CHECK_NONE, LZMA_CHECK_CRC32, LZMA_CHECK_CRC64, LZMA_CHECK_SHA256}) {
        for (std::uint64_t block : {4096ull, 65536ull, 1ull << 20}) {
            Bytes file = test::xz_blocks(m, check, block);
            auto size = size_of(file, Compression::Xz);
            assert_true(size.has_value());
            assert_int_equal(*size, m.size());
        }
    }
    assert_int_equal(*size_of(xz({}), Compression::Xz), 0);
    // Every byte of the index and footer, damaged in turn: no size or the
    // right one (a padding or CRC byte that happens to stay valid), never
    // another.
    const Bytes file = test::xz_blocks(m, LZMA_CHECK_CRC64, 4096);
    for (std::size_t back = 1; back <= 64; ++back) {
        Bytes bad = file;
        bad[bad.size() - back] ^= std::byte{0x5a};
        auto size = size_of(bad, Compression::Xz);
        assert_true(!size || *size == m.size());
    }
    // Cut short anywhere: no size.
    for (std::size_t keep : {std::size_t{0}, std::size_t{11}, std::size_t{24}, file.size() / 2, file.size() - 1})
        assert_false(size_of(Bytes(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(keep)), Compression::Xz)
                         .has_value());
}

// zstd's frame header in each of its forms: a 1-, 2- (counted from 256),
// 4- and 8-byte content size, with and without a window byte and a
// dictionary id; no size when the frame declares none or is not zstd.
static void declared_size_zstd_header_read_by_hand(void**) {
    for (std::size_t n : {std::size_t{0}, std::size_t{200}, std::size_t{300}, std::size_t{70'000}}) {
        Bytes m(n, std::byte{'k'});
        auto size = size_of(test::zstd(m), Compression::Zstd);
        assert_true(size.has_value());
        assert_int_equal(*size, n);
    }
    auto frame = [](std::uint8_t desc, std::initializer_list<std::uint8_t> rest) {
        Bytes b{std::byte{0x28}, std::byte{0xb5}, std::byte{0x2f}, std::byte{0xfd}, std::byte{desc}};
        for (auto x : rest) b.push_back(std::byte{x});
        for (int i = 0; i < 8; ++i) b.push_back(std::byte{0});  // block data, not read
        return b;
    };
    // Window byte, 4-byte dictionary id, 8-byte size 0x0102030405060708.
    assert_int_equal(*size_of(frame(0xC3, {0x50, 1, 2, 3, 4, 8, 7, 6, 5, 4, 3, 2, 1}), Compression::Zstd),
                     0x0102030405060708ull);
    // Single segment, 1-byte dictionary id, 2-byte size 0x0010 + 256.
    assert_int_equal(*size_of(frame(0x61, {9, 0x10, 0x00}), Compression::Zstd), 0x110);
    // Single segment, flag 0: one size byte.
    assert_int_equal(*size_of(frame(0x20, {42}), Compression::Zstd), 42);
    assert_false(size_of(frame(0x00, {0x50}), Compression::Zstd).has_value());  // no size declared
    assert_false(size_of(frame(0x28, {42}), Compression::Zstd).has_value());    // reserved bit set
    Bytes bad_magic = frame(0x20, {42});
    bad_magic[0] = std::byte{0x29};
    assert_false(size_of(bad_magic, Compression::Zstd).has_value());
    const Bytes long_header = frame(0xC0, {0x50, 1, 2});
    assert_false(
        size_of(Bytes(long_header.begin(), long_header.begin() + 7), Compression::Zstd).has_value());  // cut short
}

// Every dlopen() kmodx makes in this process, by name: the test defines
// dlopen() itself, so kmodx's lazy loader (linked into this executable)
// calls this one, which passes the call on.
static std::vector<std::string> g_dlopened;
extern "C" void* dlopen(const char* file, int mode) noexcept {
    using Fn = void* (*)(const char*, int);
    static const Fn real = reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, "dlopen"));
    if (file) g_dlopened.emplace_back(file);
    return real(file, mode);
}

static bool dlopened(std::string_view lib) {
    for (const auto& f : g_dlopened)
        if (f.find(lib) != std::string::npos) return true;
    return false;
}

// Reading the size loads no codec: a module the kernel decompresses loads
// where liblzma and libzstd are missing (Debian 13's initramfs carries them
// only for a kernel that cannot decompress). First in the list, before any
// other test has had kmodx load a codec; decompressing afterwards does load
// one, which shows the hook sees kmodx's calls.
static void declared_size_loads_no_codec_library(void**) {
    Bytes m = foo_module();
    const Bytes x = xz(m), z = test::zstd(m);
    g_dlopened.clear();
    assert_int_equal(*size_of(x, Compression::Xz), m.size());
    assert_int_equal(*size_of(z, Compression::Zstd), m.size());
    assert_false(dlopened("liblzma"));
    assert_false(dlopened("libzstd"));
    auto image = decompress(Compression::Xz, std::span<const std::byte>(x), 1 << 20);
    assert_true(image.has_value());
    assert_true(dlopened("liblzma.so.5"));
}
int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(declared_size_loads_no_codec_library),
        cmocka_unit_test(declared_size_missing_or_garbled_is_unknown),
        cmocka_unit_test(declared_size_read_despite_interrupted_preads),
        cmocka_unit_test(declared_size_xz_index_read_by_hand),
        cmocka_unit_test(declared_size_zstd_header_read_by_hand),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
