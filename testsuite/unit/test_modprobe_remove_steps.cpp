// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe -r around the unloads: softdeps and remove commands, dry runs and
// -v, --force and --wait, aliases and the options that set it all.
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

void softdeps_post_before_and_pre_after_each_reversed(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.soft["a"] = {{"p1", "p2"}, {"q1", "q2"}};
    LinkedKernel k;
    for (const char* m : {"p1", "p2", "q1", "q2", "a"}) k.load(m);
    Remover r(cat, k, defaults());
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"q2", "q1", "a", "p2", "p1"});
}

void ignore_commands_skips_softdeps_and_commands(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.soft["a"] = {{"p1"}, {"q1"}};
    cat.commands["a"] = "/bin/true";
    LinkedKernel k;
    for (const char* m : {"p1", "q1", "a"}) k.load(m);
    Recorder rec;
    auto s = defaults();
    s.ignore_commands = true;
    Remover r(cat, k, s, rec.runner());
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"a"});
    assert_true(rec.commands.empty());
}

void remove_command_replaces_unload_even_when_not_loaded(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.deps["a"] = {"b"};
    cat.commands["a"] = "echo gone $CMDLINE_OPTS; true";
    LinkedKernel k;
    k.load("b");
    Recorder rec;
    Remover r(cat, k, defaults(), rec.runner());
    assert_true(r.remove_name("a").has_value());
    assert_true(k.deletes.empty());  // and no dependency cleanup after a command
    assert_int_equal(rec.commands.size(), 1);
    assert_string_equal(rec.commands[0].c_str(), "a:echo gone ; true");
}

void failing_remove_command_is_fatal(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.commands["a"] = "false";
    LinkedKernel k;
    Recorder rec;
    rec.status = 1 << 8;  // exit status 1
    Remover r(cat, k, defaults(), rec.runner());
    assert_false(r.remove_name("a").has_value());
    assert_true(r.stopped());
}

std::string capture(const std::function<void(std::FILE*)>& fn) {
    char* buf = nullptr;
    size_t len = 0;
    std::FILE* f = open_memstream(&buf, &len);
    fn(f);
    std::fclose(f);
    std::string out(buf, len);
    std::free(buf);
    return out;
}

void dry_run_shows_without_touching_the_kernel(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.aliases["c"] = {"c"};
    cat.deps["a"] = {"b"};
    cat.commands["c"] = "/bin/true";
    LinkedKernel k;
    k.load("b");
    k.load("a", {"b"});
    Recorder rec;
    auto s = defaults();
    s.dry_run = true;
    s.show = true;
    std::string out = capture([&](std::FILE* f) {
        Remover r(cat, k, s, rec.runner(), f);
        assert_true(r.remove_name("a").has_value());
        assert_true(r.remove_name("c").has_value());
    });
    assert_string_equal(out.c_str(), "rmmod a\nremove /bin/true\n");
    assert_true(k.deletes.empty());
    assert_true(rec.commands.empty());
}

void verbose_lists_every_unload(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.deps["a"] = {"b"};
    LinkedKernel k;
    k.load("b");
    k.load("a", {"b"});
    auto s = defaults();
    s.show = true;
    std::string out = capture([&](std::FILE* f) {
        Remover r(cat, k, s, run_shell_command, f);
        assert_true(r.remove_name("a").has_value());
    });
    assert_string_equal(out.c_str(), "rmmod a\nrmmod b\n");
}

void force_adds_o_trunc(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    LinkedKernel k;
    k.load("a");
    auto s = defaults();
    s.force = true;
    Remover r(cat, k, s);
    assert_true(r.remove_name("a").has_value());
    assert_int_equal(k.deletes.size(), 1);
    assert_int_equal(k.deletes[0].flags, O_NONBLOCK | O_TRUNC);
}

void wait_retries_eagain_until_success(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    LinkedKernel k;
    k.load("a");
    k.load("user", {"a"});  // in use: without -w this would be refused
    k.delete_script["a"] = {EAGAIN, EAGAIN};
    auto s = defaults();
    s.wait_msec = 2000;
    Remover r(cat, k, s);
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"a", "a", "a"});
}

// kmod 30 quirk: a timed-out wait ends as a success, and the removal goes on
// with the dependencies as if the module had gone.
void wait_timeout_is_silent_success(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.deps["a"] = {"b", "c"};
    LinkedKernel k;
    k.load("b");
    k.load("c");
    k.load("a", {"b"});
    k.delete_results["a"] = EAGAIN;
    auto s = defaults();
    s.wait_msec = 30;
    Remover r(cat, k, s);
    assert_true(r.remove_name("a").has_value());
    std::size_t tries = 0;
    for (const auto& d : k.deletes) tries += d.name == "a";
    assert_true(tries >= 2);
    assert_true(tries < 30);  // backs off instead of spinning
    assert_names(k.deleted(), Names(tries, "a") + Names{"c"});
}

void wait_reports_other_errors(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    LinkedKernel k;
    k.load("a");
    k.delete_results["a"] = EPERM;
    auto s = defaults();
    s.wait_msec = 1000;
    Remover r(cat, k, s);
    auto st = r.remove_name("a");
    assert_false(st.has_value());
    assert_int_equal(st.error().code, EPERM);
    assert_int_equal(k.deletes.size(), 1);
    assert_false(r.stopped());  // an ERROR, not a FATAL
}

void without_wait_eagain_is_a_plain_error(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    LinkedKernel k;
    k.load("a");
    k.delete_results["a"] = EAGAIN;
    Remover r(cat, k, defaults());
    assert_false(r.remove_name("a").has_value());
    assert_int_equal(k.deletes.size(), 1);
}

void alias_to_several_modules_stops_at_first_failure(void**) {
    log::set_priority(LOG_EMERG);
    FakeCatalog cat;
    cat.aliases["al"] = {"x", "y", "z"};
    LinkedKernel k;
    k.load("x");
    k.load("y");
    k.load("z");
    k.load("user", {"y"});
    Remover r(cat, k, defaults());
    assert_false(r.remove_name("al").has_value());
    assert_names(k.deleted(), {"x"});
}

void options_map_to_settings(void**) {
    Options o;
    o.remove_dependencies = true;
    o.ignore_install = true;
    o.verbosity = LOG_INFO;
    o.all = true;
    o.force = true;
    o.wait_msec = 7;
    auto s = remove_settings(o);
    assert_true(s.remove_holders);
    assert_true(s.ignore_commands);
    assert_true(s.show);
    assert_true(s.force);
    assert_int_equal(s.wait_msec, 7);
    assert_int_equal(s.log_priority, LOG_WARNING);
    Options plain;
    auto p = remove_settings(plain);
    assert_false(p.show || p.force || p.remove_holders || p.ignore_commands);
    assert_int_equal(p.log_priority, LOG_CRIT);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test_setup(softdeps_post_before_and_pre_after_each_reversed, setup),
        cmocka_unit_test_setup(ignore_commands_skips_softdeps_and_commands, setup),
        cmocka_unit_test_setup(remove_command_replaces_unload_even_when_not_loaded, setup),
        cmocka_unit_test_setup(failing_remove_command_is_fatal, setup),
        cmocka_unit_test_setup(dry_run_shows_without_touching_the_kernel, setup),
        cmocka_unit_test_setup(verbose_lists_every_unload, setup),
        cmocka_unit_test_setup(force_adds_o_trunc, setup),
        cmocka_unit_test_setup(wait_retries_eagain_until_success, setup),
        cmocka_unit_test_setup(wait_timeout_is_silent_success, setup),
        cmocka_unit_test_setup(wait_reports_other_errors, setup),
        cmocka_unit_test_setup(without_wait_eagain_is_a_plain_error, setup),
        cmocka_unit_test_setup(alias_to_several_modules_stops_at_first_failure, setup),
        cmocka_unit_test_setup(options_map_to_settings, setup),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
