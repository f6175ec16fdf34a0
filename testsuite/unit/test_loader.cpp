// SPDX-License-Identifier: LGPL-2.1-or-later
// load_module() through FakeKernel: which syscall, which flags, which bytes.
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

using namespace kmodx;
using test::Bytes;
using test::FakeKernel;
using test::Fixture;
using test::foo_module;
using test::kVermagic;
using test::LoadCall;
using test::str;
using test::xz;

namespace {

Result<LoadReport> load(FakeKernel& k, const std::string& path, std::string params = "", bool vermagic = false,
                        bool modversion = false) {
    return load_module(k, LoadRequest{path, std::move(params), vermagic, modversion});
}

bool section_allocated(const Bytes& image, const char* name) {
    auto img = elf::Image::parse(image);
    assert_true(img.has_value());
    auto sec = img->find(name);
    assert_true(sec.has_value());
    return sec->flags & elf::kShfAlloc;
}

}  // namespace

static void uncompressed_uses_finit_without_flags(void**) {
    Fixture f;
    Bytes m = foo_module();
    auto path = f.put("foo.ko", m);
    auto r = load(f.kernel, path, "debug=1 mode=\"a b\"");
    assert_true(r.has_value());
    assert_true(r->outcome == LoadOutcome::Inserted);
    assert_true(r->syscall == LoadSyscall::FinitModule);
    assert_true(r->format == Compression::None);
    assert_false(r->kernel_decompressed);
    assert_int_equal(r->file_bytes, m.size());
    assert_int_equal(r->image_bytes, m.size());
    assert_int_equal(r->decompress_ns, 0);

    assert_int_equal(f.kernel.loads.size(), 1);
    const LoadCall& c = f.kernel.loads[0];
    assert_int_equal(c.kind, LoadCall::Finit);
    assert_int_equal(c.flags, 0);
    assert_string_equal(c.params.c_str(), "debug=1 mode=\"a b\"");
    assert_string_equal(c.name.c_str(), "foo");
    struct stat st;
    assert_int_equal(stat(path.c_str(), &st), 0);
    assert_true(c.dev == st.st_dev && c.ino == st.st_ino);
    assert_true(c.bytes == m);
    assert_true(f.kernel.module_state("foo") == ModuleState::Live);
}

static void compressed_matching_kernel_uses_finit_compressed_flag(void**) {
    for (Compression fmt : {Compression::Gzip, Compression::Xz, Compression::Zstd}) {
        Fixture f;
        f.kernel.kernel_compression = fmt;
        Bytes m = foo_module(), packed = test::compress(fmt, m);
        auto path = f.put("foo.ko." + std::string(compression_name(fmt)), packed);
        auto r = load(f.kernel, path);
        assert_true(r.has_value());
        assert_true(r->format == fmt);
        assert_true(r->kernel_decompressed);
        assert_true(r->syscall == LoadSyscall::FinitModule);
        assert_int_equal(r->file_bytes, packed.size());
        // Never decompressed here: the size is what the file declares.
        assert_int_equal(r->image_bytes, m.size());
        assert_true(r->image_bytes_declared);
        assert_int_equal(r->decompress_ns, 0);
        assert_int_equal(f.kernel.loads.size(), 1);
        assert_int_equal(f.kernel.loads[0].kind, LoadCall::Finit);
        assert_int_equal(f.kernel.loads[0].flags, kInitCompressedFile);
        assert_true(f.kernel.loads[0].bytes == packed);
        assert_string_equal(f.kernel.loads[0].name.c_str(), "foo");
    }
}

static void compressed_other_kernel_format_uses_init_with_decompressed_bytes(void**) {
    for (std::optional<Compression> kfmt :
         {std::optional<Compression>{Compression::Zstd}, std::optional<Compression>{}}) {
        Fixture f;
        f.kernel.kernel_compression = kfmt;
        Bytes m = foo_module(), packed = xz(m);
        auto r = load(f.kernel, f.put("foo.ko.xz", packed), "x=1");
        assert_true(r.has_value());
        assert_true(r->syscall == LoadSyscall::InitModule);
        assert_false(r->kernel_decompressed);
        assert_false(r->image_bytes_declared);
        assert_int_equal(r->image_bytes, m.size());
        assert_true(r->decompress_ns > 0);
        assert_int_equal(f.kernel.loads.size(), 1);
        const LoadCall& c = f.kernel.loads[0];
        assert_int_equal(c.kind, LoadCall::Init);
        assert_true(c.bytes == m);
        assert_string_equal(c.params.c_str(), "x=1");
    }
}

static void renamed_file_is_detected_by_magic(void**) {
    Fixture f;
    Bytes m = foo_module(), packed = xz(m);
    auto path = f.put("foo.ko", packed);
    f.kernel.kernel_compression = Compression::Xz;
    auto a = load(f.kernel, path);
    assert_true(a.has_value());
    assert_true(a->format == Compression::Xz);
    assert_int_equal(f.kernel.loads.back().flags, kInitCompressedFile);

    f.kernel.kernel_compression = std::nullopt;
    f.kernel.states.clear();
    auto b = load(f.kernel, path);
    assert_true(b.has_value());
    assert_int_equal(f.kernel.loads.back().kind, LoadCall::Init);
    assert_true(f.kernel.loads.back().bytes == m);

    // And a plain module named .ko.zst goes to finit untouched.
    auto plain = f.put("bar.ko.zst", m);
    auto c = load(f.kernel, plain);
    assert_true(c.has_value());
    assert_true(c->format == Compression::None);
    assert_int_equal(f.kernel.loads.back().kind, LoadCall::Finit);
    assert_int_equal(f.kernel.loads.back().flags, 0);
}

static void enosys_falls_back_to_init_module(void**) {
    for (Compression fmt : {Compression::None, Compression::Xz}) {
        Fixture f;
        f.kernel.has_finit = false;
        f.kernel.kernel_compression = Compression::Xz;
        Bytes m = foo_module();
        auto r = load(f.kernel, f.put("foo.ko", test::compress(fmt, m)), "p=2");
        assert_true(r.has_value());
        assert_true(r->finit_fell_back);
        assert_false(r->kernel_decompressed);
        assert_true(r->syscall == LoadSyscall::InitModule);
        assert_int_equal(r->image_bytes, m.size());
        assert_int_equal(f.kernel.loads.size(), 1);  // the ENOSYS finit is not recorded
        assert_int_equal(f.kernel.loads[0].kind, LoadCall::Init);
        assert_true(f.kernel.loads[0].bytes == m);
        assert_string_equal(f.kernel.loads[0].params.c_str(), "p=2");
    }
}

static void eexist_is_already_loaded(void**) {
    for (std::optional<Compression> kfmt :
         {std::optional<Compression>{Compression::Xz}, std::optional<Compression>{}}) {
        Fixture f;
        f.kernel.kernel_compression = kfmt;
        f.kernel.results["foo"] = {EEXIST};
        auto r = load(f.kernel, f.put("foo.ko.xz", xz(foo_module())));
        assert_true(r.has_value());
        assert_true(r->outcome == LoadOutcome::AlreadyLoaded);
        assert_int_equal(f.kernel.loads.size(), 1);
    }
}

static void other_errors_propagate_unchanged(void**) {
    for (int err : {ENOENT, EPERM, EBUSY, ENOEXEC, ENODEV, EOPNOTSUPP, EKEYREJECTED}) {
        for (Compression fmt : {Compression::None, Compression::Zstd}) {
            Fixture f;
            f.kernel.script = {err};
            LoadReport facts;
            LoadRequest req;
            req.path = f.put("foo.ko", test::compress(fmt, foo_module()));
            auto r = load_module(f.kernel, req, &facts);
            assert_false(r.has_value());
            assert_int_equal(r.error().code, err);
            assert_string_equal(r.error().context.c_str(), fmt == Compression::None ? "finit_module" : "init_module");
            assert_int_equal(f.kernel.loads.size(), 1);  // no retry
            assert_true(f.kernel.module_state("foo") == ModuleState::Absent);
            // The facts survive the failure for statistics.
            assert_true(facts.format == fmt);
            assert_true(facts.file_bytes > 0);
            if (fmt != Compression::None) assert_int_equal(facts.image_bytes, foo_module().size());
        }
    }
}

static void force_flags_map_to_finit_flags(void**) {
    struct Case {
        bool vermagic, modversion;
        unsigned flags;
    } cases[] = {{false, false, 0}, {false, true, 1}, {true, false, 2}, {true, true, 3}};
    for (const Case& c : cases) {
        Fixture f;
        f.kernel.kernel_compression = Compression::Gzip;
        Bytes m = foo_module();
        assert_true(load(f.kernel, f.put("a.ko", m), "", c.vermagic, c.modversion).has_value());
        assert_true(load(f.kernel, f.put("b.ko.gz", test::gzip(m)), "", c.vermagic, c.modversion).has_value());
        assert_int_equal(f.kernel.loads.size(), 2);
        assert_int_equal(f.kernel.loads[0].flags, c.flags);
        assert_int_equal(f.kernel.loads[1].flags, c.flags | kInitCompressedFile);
        // finit gets the file as it is: the kernel applies the flags itself.
        assert_true(f.kernel.loads[0].bytes == m);
    }
}

static void force_on_buffer_path_edits_the_image(void**) {
    Bytes m = foo_module();
    {
        Fixture f;  // no force: the bytes go through untouched
        assert_true(load(f.kernel, f.put("foo.ko.xz", xz(m))).has_value());
        assert_true(f.kernel.loads[0].bytes == m);
    }
    {
        Fixture f;
        assert_true(load(f.kernel, f.put("foo.ko.xz", xz(m)), "", true, false).has_value());
        const Bytes& got = f.kernel.loads[0].bytes;
        assert_int_equal(got.size(), m.size());
        assert_false(elf::modinfo_value(got, "vermagic").has_value());
        assert_true(str(got).find("vermagic=") == std::string::npos);
        assert_string_equal(elf::modinfo_value(got, "name")->c_str(), "foo");
        assert_string_equal(elf::modinfo_value(got, "license")->c_str(), "GPL");
        assert_true(elf::modinfo_value(got, "depends").has_value());
        assert_true(section_allocated(got, "__versions"));
        // Only the vermagic entry changed, and it became zeros.
        std::size_t at = str(m).find(kVermagic);
        for (std::size_t i = 0; i < m.size(); ++i) {
            bool inside = i >= at && i < at + std::strlen(kVermagic);
            assert_true(got[i] == (inside ? std::byte{0} : m[i]));
        }
    }
    {
        Fixture f;
        assert_true(load(f.kernel, f.put("foo.ko.xz", xz(m)), "", false, true).has_value());
        const Bytes& got = f.kernel.loads[0].bytes;
        assert_false(section_allocated(got, "__versions"));
        assert_true(section_allocated(got, ".modinfo"));
        assert_true(elf::modinfo_value(got, "vermagic").has_value());
    }
    {
        Fixture f;  // ENOSYS fallback of an uncompressed file strips too
        f.kernel.has_finit = false;
        assert_true(load(f.kernel, f.put("foo.ko", m), "", true, true).has_value());
        const Bytes& got = f.kernel.loads[0].bytes;
        assert_false(section_allocated(got, "__versions"));
        assert_false(elf::modinfo_value(got, "vermagic").has_value());
    }
}

static void force_without_sections_to_strip_still_loads(void**) {
    Fixture f;
    Bytes m = test::make_module({"name=bare"}, false);
    auto r = load(f.kernel, f.put("bare.ko.xz", xz(m)), "", true, true);
    assert_true(r.has_value());
    assert_true(f.kernel.loads[0].bytes == m);
}

static void elf32_and_big_endian_are_stripped(void**) {
    for (auto [e32, msb] : {std::pair{true, false}, std::pair{false, true}, std::pair{true, true}}) {
        Fixture f;
        Bytes m = test::make_module(test::ModuleSpec{{"name=foo", kVermagic}, true, e32, msb});
        assert_true(load(f.kernel, f.put("foo.ko.zst", test::zstd(m)), "", true, true).has_value());
        const Bytes& got = f.kernel.loads[0].bytes;
        assert_string_equal(f.kernel.loads[0].name.c_str(), "foo");
        assert_false(elf::modinfo_value(got, "vermagic").has_value());
        assert_false(section_allocated(got, "__versions"));
    }
}

static void force_on_corrupt_elf_is_enoexec_without_syscall(void**) {
    Bytes m = foo_module();
    Bytes not_elf(m.size(), std::byte{'x'});
    Bytes cut(m.begin(), m.end() - 20);  // section headers run past the end
    for (const Bytes& bad : {not_elf, cut}) {
        Fixture f;
        auto r = load(f.kernel, f.put("bad.ko.xz", xz(bad)), "", true, false);
        assert_false(r.has_value());
        assert_int_equal(r.error().code, ENOEXEC);
        assert_true(f.kernel.loads.empty());
    }
    {
        // Without --force the kernel judges the image, as with kmod.
        Fixture f;
        f.kernel.script = {ENOEXEC};
        auto r = load(f.kernel, f.put("bad.ko.xz", xz(not_elf)));
        assert_false(r.has_value());
        assert_int_equal(r.error().code, ENOEXEC);
        assert_int_equal(f.kernel.loads.size(), 1);
    }
}

static void elf_edits_survive_every_truncation_and_corruption(void**) {
    Bytes m = foo_module();
    for (std::size_t n = 0; n <= m.size(); ++n) {
        Bytes part(m.begin(), m.begin() + n);
        auto a = elf::strip_vermagic(part);
        auto b = elf::clear_alloc_flag(part, "__versions");
        if (n < m.size()) {
            assert_false(a.has_value());
            assert_int_equal(a.error().code, ENOEXEC);
        }
        assert_true(b.has_value() || b.error().code == ENOEXEC);
    }
    std::uint32_t x = 7;
    for (int round = 0; round < 3000; ++round) {
        Bytes bad = m;
        for (int k = 0; k < 4; ++k) {
            x = x * 1664525 + 1013904223;
            bad[x % bad.size()] = static_cast<std::byte>(x >> 24);
        }
        for (auto st : {elf::strip_vermagic(bad), elf::clear_alloc_flag(bad, "__versions")})
            assert_true(st.has_value() || st.error().code == ENOEXEC || st.error().code == ENOENT);
        (void)elf::modinfo_value(bad, "name");
    }
}

static void corrupt_or_missing_files_fail_before_the_kernel(void**) {
    Fixture f;
    Bytes packed = xz(foo_module());
    packed.resize(packed.size() / 2);
    auto r = load(f.kernel, f.put("cut.ko.xz", packed));
    assert_false(r.has_value());
    assert_int_equal(r.error().code, EBADMSG);
    assert_true(r.error().context.find("cut.ko.xz") != std::string::npos);

    auto missing = load(f.kernel, f.dir.str() + "/missing.ko");
    assert_false(missing.has_value());
    assert_int_equal(missing.error().code, ENOENT);

    f.dir.mkdir("dir.ko");
    auto dir = load(f.kernel, f.dir.str() + "/dir.ko");
    assert_false(dir.has_value());
    assert_int_equal(dir.error().code, EISDIR);
    assert_true(f.kernel.loads.empty());
}

static void per_module_results_follow_the_name(void**) {
    Fixture f;
    f.kernel.results["bar"] = {EBUSY, 0};
    auto foo = f.put("foo.ko", foo_module());
    auto bar = f.put("bar.ko", test::make_module({"name=bar"}));
    assert_true(load(f.kernel, foo).has_value());
    auto first = load(f.kernel, bar);
    assert_false(first.has_value());
    assert_int_equal(first.error().code, EBUSY);
    assert_true(load(f.kernel, bar).has_value());
    assert_true(f.kernel.module_state("bar") == ModuleState::Live);
    assert_int_equal(f.kernel.loads.size(), 3);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uncompressed_uses_finit_without_flags),
        cmocka_unit_test(compressed_matching_kernel_uses_finit_compressed_flag),
        cmocka_unit_test(compressed_other_kernel_format_uses_init_with_decompressed_bytes),
        cmocka_unit_test(renamed_file_is_detected_by_magic),
        cmocka_unit_test(enosys_falls_back_to_init_module),
        cmocka_unit_test(eexist_is_already_loaded),
        cmocka_unit_test(other_errors_propagate_unchanged),
        cmocka_unit_test(force_flags_map_to_finit_flags),
        cmocka_unit_test(force_on_buffer_path_edits_the_image),
        cmocka_unit_test(force_without_sections_to_strip_still_loads),
        cmocka_unit_test(elf32_and_big_endian_are_stripped),
        cmocka_unit_test(force_on_corrupt_elf_is_enoexec_without_syscall),
        cmocka_unit_test(elf_edits_survive_every_truncation_and_corruption),
        cmocka_unit_test(corrupt_or_missing_files_fail_before_the_kernel),
        cmocka_unit_test(per_module_results_follow_the_name),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
