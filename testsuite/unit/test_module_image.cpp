// SPDX-License-Identifier: LGPL-2.1-or-later
// ModuleImage: opening, refusing non-files and oversized inputs, format by
// magic, and the size facts of the image.
#include <kmodx/module_image.hpp>

#include "load/elf.hpp"
#include "fake_kernel.hpp"
#include "scratch_dir.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "test_files.hpp"
#include "cmocka.hpp"

using namespace kmodx;
using test::Bytes;
using test::str;
using test::xz;

namespace {

Bytes module() { return test::make_module({"name=foo", "vermagic=6.1.0 SMP mod_unload"}); }

}  // namespace

static void uncompressed_file_is_its_own_image(void**) {
    test::ScratchDir d;
    Bytes m = module();
    auto img = ModuleImage::open(test::put(d, "foo.ko", m));
    assert_true(img.has_value());
    assert_true(img->format() == Compression::None);
    assert_int_equal(img->file_bytes(), m.size());
    assert_int_equal(img->image_bytes(), 0);  // not read yet
    auto bytes = img->image();
    assert_true(bytes.has_value());
    assert_true(Bytes(bytes->begin(), bytes->end()) == m);
    assert_int_equal(img->image_bytes(), m.size());
    assert_false(img->decompressed());
    // The fd offset is untouched for finit_module.
    assert_int_equal(lseek(img->fd(), 0, SEEK_CUR), 0);
}

static void compressed_file_is_decompressed_on_demand(void**) {
    test::ScratchDir d;
    Bytes m = module(), packed = xz(m);
    auto img = ModuleImage::open(test::put(d, "foo.ko.xz", packed));
    assert_true(img.has_value());
    assert_true(img->format() == Compression::Xz);
    assert_int_equal(img->file_bytes(), packed.size());
    auto raw = img->file_contents();
    assert_true(raw.has_value());
    assert_true(Bytes(raw->begin(), raw->end()) == packed);
    auto bytes = img->image();
    assert_true(bytes.has_value());
    assert_true(Bytes(bytes->begin(), bytes->end()) == m);
    assert_true(img->decompressed());
    assert_int_equal(img->image_bytes(), m.size());
}

static void format_comes_from_magic_not_name(void**) {
    test::ScratchDir d;
    d.write("renamed.ko", str(xz(module())));
    d.write("plain.ko.zst", str(module()));
    auto a = ModuleImage::open(d.str() + "/renamed.ko");
    auto b = ModuleImage::open(d.str() + "/plain.ko.zst");
    assert_true(a.has_value() && b.has_value());
    assert_true(a->format() == Compression::Xz);
    assert_true(b->format() == Compression::None);
}

static void missing_file_is_enoent(void**) {
    test::ScratchDir d;
    auto img = ModuleImage::open(d.str() + "/nope.ko");
    assert_false(img.has_value());
    assert_int_equal(img.error().code, ENOENT);
    assert_true(img.error().context.find("nope.ko") != std::string::npos);
}

static void directory_and_device_are_refused(void**) {
    test::ScratchDir d;
    d.mkdir("dir.ko");
    auto dir = ModuleImage::open(d.str() + "/dir.ko");
    assert_false(dir.has_value());
    assert_int_equal(dir.error().code, EISDIR);
    auto dev = ModuleImage::open("/dev/null");
    assert_false(dev.has_value());
    assert_int_equal(dev.error().code, EINVAL);
    // A FIFO must neither hang the open nor be read.
    std::string fifo = d.str() + "/fifo.ko";
    assert_int_equal(mkfifo(fifo.c_str(), 0600), 0);
    auto f = ModuleImage::open(fifo);
    assert_false(f.has_value());
    assert_int_equal(f.error().code, EINVAL);
}

static void oversized_file_is_efbig(void**) {
    test::ScratchDir d;
    d.write("big.ko", std::string(4096, 'x'));
    auto img = ModuleImage::open(d.str() + "/big.ko", ImageLimits{4095, 1u << 20});
    assert_false(img.has_value());
    assert_int_equal(img.error().code, EFBIG);
    assert_true(ModuleImage::open(d.str() + "/big.ko", ImageLimits{4096, 1u << 20}).has_value());
}

static void oversized_image_is_efbig(void**) {
    test::ScratchDir d;
    Bytes zeros(1u << 20);
    auto img = ModuleImage::open(test::put(d, "bomb.ko.xz", xz(zeros)), ImageLimits{1u << 20, 1u << 19});
    assert_true(img.has_value());
    auto bytes = img->image();
    assert_false(bytes.has_value());
    assert_int_equal(bytes.error().code, EFBIG);
    assert_true(bytes.error().context.find("bomb.ko.xz") != std::string::npos);
}

static void corrupt_compressed_file_is_ebadmsg(void**) {
    test::ScratchDir d;
    Bytes packed = xz(module());
    packed.resize(packed.size() - 9);
    auto img = ModuleImage::open(test::put(d, "cut.ko.xz", packed));
    assert_true(img.has_value());
    auto bytes = img->image();
    assert_false(bytes.has_value());
    assert_int_equal(bytes.error().code, EBADMSG);
}

static void empty_file_opens_as_uncompressed(void**) {
    test::ScratchDir d;
    d.write("empty.ko", "");
    auto img = ModuleImage::open(d.str() + "/empty.ko");
    assert_true(img.has_value());
    assert_true(img->format() == Compression::None);
    assert_int_equal(img->file_bytes(), 0);
    auto bytes = img->image();
    assert_true(bytes.has_value());
    assert_int_equal(bytes->size(), 0);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uncompressed_file_is_its_own_image),
        cmocka_unit_test(compressed_file_is_decompressed_on_demand),
        cmocka_unit_test(format_comes_from_magic_not_name),
        cmocka_unit_test(missing_file_is_enoent),
        cmocka_unit_test(directory_and_device_are_refused),
        cmocka_unit_test(oversized_file_is_efbig),
        cmocka_unit_test(oversized_image_is_efbig),
        cmocka_unit_test(corrupt_compressed_file_is_ebadmsg),
        cmocka_unit_test(empty_file_opens_as_uncompressed),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
