// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe -r decisions: which modules go, in which order, and when kmod 30
// refuses or stops.
#include <fcntl.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "remove_fixture.hpp"

using namespace kmodx;
using namespace kmodx::modprobe;
using namespace kmodx::test;

namespace {

// A chain a -> b -> c: a goes first, then each dependency whose refcount
// dropped to zero, in modules.dep order.
void chain_removes_target_then_unused_dependencies(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.deps["a"] = {"b", "c"};
    cat.deps["b"] = {"c"};
    LinkedKernel k;
    k.load("c");
    k.load("b", {"c"});
    k.load("a", {"b"});
    Remover r(cat, k, defaults());
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"a", "b", "c"});
    for (const auto& d : k.deletes) assert_int_equal(d.flags, O_NONBLOCK);
    assert_false(r.stopped());
}

void dependency_used_elsewhere_stays(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.deps["a"] = {"b", "c"};
    LinkedKernel k;
    k.load("c");
    k.load("b");
    k.load("other", {"c"});
    k.load("a", {"b", "c"});
    Remover r(cat, k, defaults());
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"a", "b"});
}

void dependency_not_loaded_is_skipped(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.deps["a"] = {"gone", "b"};
    LinkedKernel k;
    k.load("b");
    k.load("a", {"b"});
    Remover r(cat, k, defaults());
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"a", "b"});
}

void module_in_use_is_refused_before_the_kernel(void**) {
    FakeCatalog cat;
    cat.aliases["b"] = {"b"};
    LinkedKernel k;
    k.load("b");
    k.load("a", {"b"});
    Remover r(cat, k, defaults());
    auto st = r.remove_name("b");
    assert_false(st.has_value());
    assert_int_equal(st.error().code, EBUSY);
    assert_true(k.deletes.empty());
    assert_true(r.stopped());  // FATAL shown: kmod exits here
}

void quiet_failure_does_not_stop(void**) {
    log::set_priority(LOG_EMERG);  // -q
    FakeCatalog cat;
    cat.aliases["b"] = {"b"};
    LinkedKernel k;
    k.load("b");
    k.load("a", {"b"});
    Remover r(cat, k, defaults());
    assert_false(r.remove_name("b").has_value());
    assert_false(r.stopped());
}

void all_flag_makes_refusals_warnings(void**) {
    FakeCatalog cat;
    LinkedKernel k;
    auto s = defaults();
    s.log_priority = LOG_WARNING;  // -a
    Remover r(cat, k, s);
    assert_false(r.remove_name("nosuch").has_value());
    assert_false(r.stopped());
}

void remove_holders_goes_last_holder_first(void**) {
    FakeCatalog cat;
    cat.aliases["base"] = {"base"};
    LinkedKernel k;
    k.load("base");
    k.load("h1", {"base"});
    k.load("h2", {"base"});
    auto s = defaults();
    s.remove_holders = true;
    Remover r(cat, k, s);
    assert_true(r.remove_name("base").has_value());
    assert_names(k.deleted(), {"h2", "h1", "base"});
}

void holder_in_use_stops_everything(void**) {
    FakeCatalog cat;
    cat.aliases["base"] = {"base"};
    LinkedKernel k;
    k.load("base");
    k.load("h1", {"base"});
    k.load("top", {"h1"});
    auto s = defaults();
    s.remove_holders = true;
    Remover r(cat, k, s);
    assert_false(r.remove_name("base").has_value());
    assert_true(k.deletes.empty());
}

void holders_are_not_removed_recursively(void**) {
    log::set_priority(LOG_EMERG);
    FakeCatalog cat;
    cat.aliases["base"] = {"base"};
    LinkedKernel k;
    k.load("base");
    k.load("h1", {"base"});
    k.load("top", {"h1"});
    auto s = defaults();
    s.remove_holders = true;
    Remover r(cat, k, s);
    auto st = r.remove_name("base");
    assert_false(st.has_value());
    assert_int_equal(st.error().code, EBUSY);
    assert_true(k.deletes.empty());
}

void builtin_is_refused_but_ignored_as_softdep(void**) {
    FakeCatalog cat;
    cat.aliases["bi"] = {"bi"};
    cat.aliases["a"] = {"a"};
    cat.builtins = {"bi"};
    cat.soft["a"] = {{"bi"}, {}};
    LinkedKernel k;
    k.load("a");
    {
        Remover r(cat, k, defaults());
        auto st = r.remove_name("bi");
        assert_false(st.has_value());
        assert_int_equal(st.error().code, ENOENT);
        assert_true(r.stopped());
    }
    Remover r(cat, k, defaults());
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"a"});
}

void not_loaded_is_success_unless_first_time(void**) {
    log::set_priority(LOG_EMERG);
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    LinkedKernel k;
    {
        Remover r(cat, k, defaults());
        assert_true(r.remove_name("a").has_value());
    }
    auto s = defaults();
    s.first_time = true;
    Remover r(cat, k, s);
    auto st = r.remove_name("a");
    assert_false(st.has_value());
    assert_int_equal(st.error().code, ENOENT);
    assert_true(k.deletes.empty());
}

void unknown_name_fails(void**) {
    FakeCatalog cat;
    LinkedKernel k;
    Remover r(cat, k, defaults());
    auto st = r.remove_name("nosuch");
    assert_false(st.has_value());
    assert_int_equal(st.error().code, ENOENT);
    assert_true(r.stopped());
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test_setup(chain_removes_target_then_unused_dependencies, setup),
        cmocka_unit_test_setup(dependency_used_elsewhere_stays, setup),
        cmocka_unit_test_setup(dependency_not_loaded_is_skipped, setup),
        cmocka_unit_test_setup(module_in_use_is_refused_before_the_kernel, setup),
        cmocka_unit_test_setup(quiet_failure_does_not_stop, setup),
        cmocka_unit_test_setup(all_flag_makes_refusals_warnings, setup),
        cmocka_unit_test_setup(remove_holders_goes_last_holder_first, setup),
        cmocka_unit_test_setup(holder_in_use_stops_everything, setup),
        cmocka_unit_test_setup(holders_are_not_removed_recursively, setup),
        cmocka_unit_test_setup(builtin_is_refused_but_ignored_as_softdep, setup),
        cmocka_unit_test_setup(not_loaded_is_success_unless_first_time, setup),
        cmocka_unit_test_setup(unknown_name_fails, setup),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
