// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/insmod.hpp>
#include <kmodx/kmod_compat.hpp>

#include "fake_kernel.hpp"
#include "scratch_dir.hpp"

#include "cmocka.hpp"

using namespace kmodx;

static std::string write_module(const test::ScratchDir& d, const std::string& rel) {
    auto img = test::make_module({"name=foo", "license=GPL"});
    d.write(rel, std::string(reinterpret_cast<const char*>(img.data()), img.size()));
    return (d.path() / rel).string();
}

static void params_joined_with_spaces(void**) {
    assert_string_equal(insmod::join_params({}).c_str(), "");
    assert_string_equal(insmod::join_params({"a=1", "b=\"x y\"", "c"}).c_str(), "a=1 b=\"x y\" c");
    // A value with a space: kmod 30 passes it as it is, kmod 34 quotes it
    // (options_from_array); a value that starts with a quote is left alone.
    assert_string_equal(insmod::join_params({"a=x y", "b='p q'", "c d"}).c_str(),
                        kmod34 ? "a=\"x y\" b='p q' c d" : "a=x y b='p q' c d");
}

static void inserts_with_finit_and_params(void**) {
    test::ScratchDir d;
    test::FakeKernel k;
    insmod::Options o;
    o.path = write_module(d, "foo.ko");
    o.args = {"x=1", "y=2"};
    assert_int_equal(insmod::run(k, o), 0);
    assert_int_equal(k.loads.size(), 1);
    assert_true(k.loads[0].kind == test::LoadCall::Finit);
    assert_string_equal(k.loads[0].params.c_str(), "x=1 y=2");
    assert_int_equal(k.loads[0].flags, 0);
    assert_true(k.states["foo"] == ModuleState::Live);
}

static void force_asks_kernel_to_ignore_versions(void**) {
    test::ScratchDir d;
    test::FakeKernel k;
    insmod::Options o;
    o.path = write_module(d, "foo.ko");
    o.force = true;
    assert_int_equal(insmod::run(k, o), 0);
    assert_int_equal(k.loads.size(), 1);
    assert_int_equal(k.loads[0].flags, kInitIgnoreModversions | kInitIgnoreVermagic);
}

static void already_loaded_is_a_failure(void**) {
    test::ScratchDir d;
    test::FakeKernel k;
    k.default_errno = EEXIST;
    insmod::Options o;
    o.path = write_module(d, "foo.ko");
    assert_int_equal(insmod::run(k, o), 1);
    assert_int_equal(k.loads.size(), 1);
}

static void kernel_error_fails(void**) {
    test::ScratchDir d;
    test::FakeKernel k;
    k.default_errno = ENOEXEC;
    insmod::Options o;
    o.path = write_module(d, "foo.ko");
    assert_int_equal(insmod::run(k, o), 1);
}

static void missing_file_never_reaches_kernel(void**) {
    test::ScratchDir d;
    test::FakeKernel k;
    insmod::Options o;
    o.path = (d.path() / "nope.ko").string();
    assert_int_equal(insmod::run(k, o), 1);
    assert_true(k.loads.empty());
}

static void stdin_refused(void**) {
    test::FakeKernel k;
    insmod::Options o;
    o.path = "-";
    assert_int_equal(insmod::run(k, o), 1);
    assert_true(k.loads.empty());
}

static void directory_refused_before_kernel(void**) {
    test::ScratchDir d;
    test::FakeKernel k;
    insmod::Options o;
    o.path = d.str();
    assert_int_equal(insmod::run(k, o), 1);
    assert_true(k.loads.empty());
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(params_joined_with_spaces),
        cmocka_unit_test(inserts_with_finit_and_params),
        cmocka_unit_test(force_asks_kernel_to_ignore_versions),
        cmocka_unit_test(already_loaded_is_a_failure),
        cmocka_unit_test(kernel_error_fails),
        cmocka_unit_test(missing_file_never_reaches_kernel),
        cmocka_unit_test(stdin_refused),
        cmocka_unit_test(directory_refused_before_kernel),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
