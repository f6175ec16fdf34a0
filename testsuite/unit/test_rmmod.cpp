// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/rmmod.hpp>

#include "fake_kernel.hpp"

#include <fcntl.h>

#include "cmocka.hpp"

using namespace kmodx;
using Kind = rmmod::Verdict::Kind;

// A name no kernel tree has as a builtin, so libkmod's builtin check is moot.
static const char* kMod = "kmodx_unit_fake_mod";

static void builtin_refused_first(void**) {
    test::FakeKernel k;
    k.states[kMod] = ModuleState::Live;
    auto v = rmmod::check_removable(k, kMod, true);
    assert_true(v.kind == Kind::Builtin);
}

static void absent_is_not_loaded(void**) {
    test::FakeKernel k;
    auto v = rmmod::check_removable(k, kMod, false);
    assert_true(v.kind == Kind::NotLoaded);
}

static void coming_counts_as_loaded(void**) {
    test::FakeKernel k;
    k.states[kMod] = ModuleState::Coming;
    auto v = rmmod::check_removable(k, kMod, false);
    assert_true(v.kind == Kind::Removable);
}

static void holders_refuse_with_names(void**) {
    test::FakeKernel k;
    k.states[kMod] = ModuleState::Live;
    k.holder_map[kMod] = {"xfs", "btrfs"};
    k.refcounts[kMod] = 2;
    auto v = rmmod::check_removable(k, kMod, false);
    assert_true(v.kind == Kind::HeldBy);
    assert_int_equal(v.holders.size(), 2);
    assert_string_equal(v.holders[0].c_str(), "xfs");
}

static void refcount_refuses_without_names(void**) {
    test::FakeKernel k;
    k.states[kMod] = ModuleState::Live;
    k.refcounts[kMod] = 1;
    auto v = rmmod::check_removable(k, kMod, false);
    assert_true(v.kind == Kind::InUse);
    assert_true(v.holders.empty());
}

static void holders_source_order_is_kept(void**) {
    test::FakeKernel k;
    k.states[kMod] = ModuleState::Live;
    k.holder_map[kMod] = {"a", "b"};
    auto v = rmmod::check_removable(k, kMod, false, [](std::string_view) {
        return std::vector<std::string>{"xfs", "btrfs"};
    });
    assert_true(v.kind == Kind::HeldBy);
    assert_string_equal(rmmod::refusal_text(v, kMod).c_str(), "Module kmodx_unit_fake_mod is in use by: xfs btrfs\n");
}

static void missing_refcount_means_no_unload_support(void**) {
    struct NoRefcnt : test::FakeKernel {
        Result<int> refcount(std::string_view) override { return failure(ENOENT, "refcnt"); }
    } nr;
    nr.states[kMod] = ModuleState::Live;
    auto v = rmmod::check_removable(nr, kMod, false);
    assert_true(v.kind == Kind::UnloadUnsupported);
    assert_string_equal(rmmod::refusal_text(v, kMod).c_str(), "Module unloading is not supported\n");
}

static void garbage_refcount_refused_silently(void**) {
    struct BadRefcnt : test::FakeKernel {
        Result<int> refcount(std::string_view) override { return failure(EINVAL, "refcnt"); }
    } k;
    k.states[kMod] = ModuleState::Live;
    auto v = rmmod::check_removable(k, kMod, false);
    assert_true(v.kind == Kind::RefcountUnreadable);
    assert_true(rmmod::refusal_text(v, kMod).empty());
}

static void refusal_texts_match_kmod(void**) {
    assert_string_equal(rmmod::refusal_text({Kind::Builtin, {}}, "ext4").c_str(), "Module ext4 is builtin.\n");
    assert_string_equal(rmmod::refusal_text({Kind::NotLoaded, {}}, "kvm").c_str(),
                        "Module kvm is not currently loaded\n");
    assert_string_equal(rmmod::refusal_text({Kind::InUse, {}}, "kvm").c_str(), "Module kvm is in use\n");
}

static void delete_flags_nonblocking(void**) {
    assert_int_equal(rmmod::delete_flags(false), O_NONBLOCK);
    assert_int_equal(rmmod::delete_flags(true), O_NONBLOCK | O_TRUNC);
}

static int run(test::FakeKernel& k, rmmod::Options o) { return rmmod::run(k, o); }

static void run_removes_idle_module(void**) {
    test::FakeKernel k;
    k.states[kMod] = ModuleState::Live;
    assert_int_equal(run(k, {false, false, 0, {kMod}}), 0);
    assert_int_equal(k.deletes.size(), 1);
    assert_string_equal(k.deletes[0].name.c_str(), kMod);
    assert_int_equal(k.deletes[0].flags, O_NONBLOCK);
}

static void run_normalizes_dashes(void**) {
    test::FakeKernel k;
    k.states[kMod] = ModuleState::Live;
    assert_int_equal(run(k, {false, false, 0, {"kmodx-unit-fake-mod"}}), 0);
    assert_int_equal(k.deletes.size(), 1);
    assert_string_equal(k.deletes[0].name.c_str(), kMod);
}

static void run_refuses_busy_without_syscall(void**) {
    test::FakeKernel k;
    k.states[kMod] = ModuleState::Live;
    k.refcounts[kMod] = 3;
    assert_int_equal(run(k, {false, false, 0, {kMod}}), 1);
    assert_true(k.deletes.empty());
}

static void force_skips_checks_and_truncates(void**) {
    test::FakeKernel k;
    k.states[kMod] = ModuleState::Live;
    k.refcounts[kMod] = 3;
    assert_int_equal(run(k, {true, false, 0, {kMod}}), 0);
    assert_int_equal(k.deletes.size(), 1);
    assert_int_equal(k.deletes[0].flags, O_NONBLOCK | O_TRUNC);
}

static void kernel_failure_fails_but_continues(void**) {
    test::FakeKernel k;
    k.states[kMod] = ModuleState::Live;
    k.states["kmodx_unit_other"] = ModuleState::Live;
    k.delete_results[kMod] = EAGAIN;
    assert_int_equal(run(k, {false, false, 0, {kMod, "kmodx_unit_other"}}), 1);
    assert_int_equal(k.deletes.size(), 2);
    assert_true(k.states.count("kmodx_unit_other") == 0);
}

static void no_target_fails(void**) {
    test::FakeKernel k;
    assert_int_equal(run(k, {}), 1);
    assert_true(k.deletes.empty());
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(builtin_refused_first),
        cmocka_unit_test(absent_is_not_loaded),
        cmocka_unit_test(coming_counts_as_loaded),
        cmocka_unit_test(holders_refuse_with_names),
        cmocka_unit_test(refcount_refuses_without_names),
        cmocka_unit_test(holders_source_order_is_kept),
        cmocka_unit_test(missing_refcount_means_no_unload_support),
        cmocka_unit_test(garbage_refcount_refused_silently),
        cmocka_unit_test(refusal_texts_match_kmod),
        cmocka_unit_test(delete_flags_nonblocking),
        cmocka_unit_test(run_removes_idle_module),
        cmocka_unit_test(run_normalizes_dashes),
        cmocka_unit_test(run_refuses_busy_without_syscall),
        cmocka_unit_test(force_skips_checks_and_truncates),
        cmocka_unit_test(kernel_failure_fails_but_continues),
        cmocka_unit_test(no_target_fails),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
