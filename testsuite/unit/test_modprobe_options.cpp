// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/modprobe_options.hpp>

#include <syslog.h>

#include <cstdlib>
#include <initializer_list>
#include <string>
#include <vector>

#include "cmocka.hpp"

using namespace kmodx::modprobe;

namespace {

// Runs parse_options on {"modprobe", args...} with MODPROBE_OPTIONS unset in
// the process (so env appends start from nothing) unless env is given.
ParseOutcome parse(std::initializer_list<const char*> args, const char* env = nullptr) {
    ::unsetenv("MODPROBE_OPTIONS");
    std::vector<std::string> words{"modprobe"};
    for (const char* a : args) words.emplace_back(a);
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    return parse_options(static_cast<int>(words.size()), argv.data(), env);
}

void assert_words(const std::vector<std::string>& got, std::initializer_list<const char*> want) {
    assert_int_equal(got.size(), want.size());
    std::size_t i = 0;
    for (const char* w : want) assert_string_equal(got[i++].c_str(), w);
}

}  // namespace

static void env_splits_on_every_single_space(void**) {
    assert_words(split_modprobe_options("-v -q"), {"-v", "-q"});
    // Two spaces make an empty word, as kmod's splitting does.
    assert_words(split_modprobe_options("-v  -n"), {"-v", "", "-n"});
    assert_words(split_modprobe_options("-v "), {"-v"});
    assert_words(split_modprobe_options(""), {});
}

static void env_leading_quote_makes_one_word_without_quotes(void**) {
    assert_words(split_modprobe_options("-C 'a b' -v"), {"-C", "a b", "", "-v"});
    assert_words(split_modprobe_options("\"x y\""), {"x y"});
}

static void env_inner_quotes_are_removed(void**) {
    assert_words(split_modprobe_options("opt='a b'c -q"), {"opt=a bc", "-q"});
}

static void env_unterminated_quote_stays(void**) {
    assert_words(split_modprobe_options("-v \"-q"), {"-v", "\"-q"});
    assert_words(split_modprobe_options("a\"b c"), {"a\"b c"});
}

static void params_with_spaces_are_requoted(void**) {
    std::vector<std::string> w{"x=1", "y=a b", "z='c d'", "e", "w=", "u=\"p q\" r"};
    assert_string_equal(join_module_params(w).c_str(), "x=1 y=\"a b\" z='c d' e w= u=\"p q\" r");
    std::vector<std::string> nokey{"a b"};
    // Without '=' kmod never adds quotes.
    assert_string_equal(join_module_params(nokey).c_str(), "a b");
}

static void plain_name_inserts_with_defaults(void**) {
    auto r = parse({"foo"});
    assert_true(r.run);
    assert_true(r.opts.action == Action::Insert);
    assert_int_equal(r.opts.verbosity, LOG_WARNING);
    assert_int_equal(r.opts.args.size(), 1);
    assert_string_equal(r.opts.extra_options.c_str(), "");
    assert_false(r.modprobe_options_env.has_value());
}

static void extra_words_become_module_options(void**) {
    auto r = parse({"foo", "a=1", "b=x y"});
    assert_true(r.run);
    assert_string_equal(r.opts.extra_options.c_str(), "a=1 b=\"x y\"");
}

static void all_makes_every_word_a_module(void**) {
    auto r = parse({"-a", "foo", "a=1"});
    assert_true(r.run);
    assert_true(r.opts.all);
    assert_int_equal(r.opts.args.size(), 2);
    assert_string_equal(r.opts.extra_options.c_str(), "");
}

static void remove_takes_every_word_as_module(void**) {
    auto r = parse({"-r", "foo", "bar"});
    assert_true(r.run);
    assert_true(r.opts.action == Action::Remove);
    assert_int_equal(r.opts.args.size(), 2);
    assert_string_equal(r.opts.extra_options.c_str(), "");
}

static void missing_module_is_an_error(void**) {
    for (auto args : {std::initializer_list<const char*>{}, {"-q"}, {"-r"}, {"-a", "-v"}, {"--show-modversions"}}) {
        auto r = parse(args);
        assert_false(r.run);
        assert_int_equal(r.status, 1);
        assert_string_equal(r.error.c_str(), "missing parameters. See -h.\n");
        assert_false(r.error_before_log);
    }
}

static void show_config_needs_no_module(void**) {
    auto r = parse({"-c", "-r"});
    assert_true(r.run);
    assert_true(r.opts.action == Action::ShowConfig);
}

static void action_precedence_follows_kmod(void**) {
    assert_true(parse({"-r", "--show-exports", "x"}).opts.action == Action::ShowExports);
    assert_true(parse({"--show-exports", "--dump-modversions", "x"}).opts.action == Action::ShowModversions);
    assert_true(parse({"-R", "-r", "x"}).opts.action == Action::Remove);
    assert_true(parse({"-D", "-R", "x"}).opts.action == Action::ResolveAlias);
    auto d = parse({"-D", "x"});
    assert_true(d.opts.action == Action::ShowDepends);
    assert_true(d.opts.dry_run && d.opts.ignore_loaded && d.opts.show);
}

static void verbosity_counts_and_quiet_silences(void**) {
    assert_int_equal(parse({"-vv", "x"}).opts.verbosity, LOG_WARNING + 2);
    auto q = parse({"-q", "x"});
    assert_true(q.opts.quiet);
    assert_int_equal(q.opts.verbosity, LOG_EMERG);
    // As in kmod, a later -v counts up from the quiet level.
    assert_int_equal(parse({"-q", "-v", "x"}).opts.verbosity, LOG_EMERG + 1);
}

static void passed_on_options_land_in_env(void**) {
    auto r = parse({"-C", "/etc/x.conf", "-q", "-s", "-v", "foo"});
    assert_true(r.run);
    assert_true(r.modprobe_options_env.has_value());
    assert_string_equal(r.modprobe_options_env->c_str(), "-C /etc/x.conf -q -s -v");
    assert_int_equal(r.opts.config_paths.size(), 1);
    assert_true(r.opts.use_syslog);
}

static void env_options_come_first_and_are_appended_to(void**) {
    ::setenv("MODPROBE_OPTIONS", "-n", 1);
    std::vector<std::string> words{"modprobe", "-v", "foo"};
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    auto r = parse_options(3, argv.data(), "-n");
    ::unsetenv("MODPROBE_OPTIONS");
    assert_true(r.run);
    assert_true(r.opts.dry_run);
    assert_string_equal(r.modprobe_options_env->c_str(), "-n -v");
}

static void env_words_after_options_are_modules(void**) {
    auto r = parse({"foo"}, "bar");
    assert_true(r.run);
    assert_string_equal(r.opts.args[0].c_str(), "bar");
    assert_string_equal(r.opts.extra_options.c_str(), "foo");
}

static void force_sets_both_force_kinds(void**) {
    auto f = parse({"-f", "x"});
    assert_true(f.opts.force && f.opts.force_vermagic && f.opts.force_modversion);
    auto v = parse({"--force-vermagic", "x"});
    assert_true(v.opts.force_vermagic);
    assert_false(v.opts.force_modversion || v.opts.force);
    auto m = parse({"--force-modversion", "x"});
    assert_true(m.opts.force_modversion);
    assert_false(m.opts.force_vermagic);
}

static void long_options_and_kmodx_extension(void**) {
    auto r = parse({"--first-time", "--ignore-install", "--use-blacklist", "--dirname=/r", "--set-version", "6.1",
                    "--no-dedup", "--remove-holders", "x"});
    assert_true(r.run);
    assert_true(r.opts.first_time && r.opts.ignore_install && r.opts.ignore_remove);
    assert_true(r.opts.use_blacklist && r.opts.no_dedup && r.opts.remove_holders);
    assert_string_equal(r.opts.dirname.c_str(), "/r");
    assert_string_equal(r.opts.kversion.c_str(), "6.1");
}

static void wait_value_must_be_a_number(void**) {
    auto ok = parse({"-r", "-w", "0x10", "x"});
    assert_true(ok.run);
    assert_int_equal(ok.opts.wait_msec, 16);
    auto bad = parse({"-w", "12ms", "x"});
    assert_false(bad.run);
    assert_int_equal(bad.status, 1);
    assert_true(bad.error_before_log);
    assert_string_equal(bad.error.c_str(), "unexpected wait value '12ms'.\n");
    assert_false(parse({"-w", "", "x"}).run);
}

static void unknown_option_stops_with_failure(void**) {
    auto r = parse({"--bogus", "x"});
    assert_false(r.run);
    assert_int_equal(r.status, 1);
    assert_true(r.error.empty());  // getopt printed its own line
}

static void version_and_help_stop_at_once(void**) {
    auto v = parse({"-V", "--bogus"});
    assert_false(v.run);
    assert_true(v.version);
    assert_int_equal(v.status, 0);
    auto bad_first = parse({"--bogus", "-V"});
    assert_false(bad_first.version);
    assert_int_equal(bad_first.status, 1);
    auto h = parse({"-h"});
    assert_false(h.run);
    assert_int_equal(h.status, 0);
    assert_true(h.output.starts_with("Usage:\n"));
    assert_true(h.output.find("--no-dedup") != std::string::npos);
}

static void absurdly_long_name_is_just_a_name(void**) {
    std::string name(4096, 'x');
    auto r = parse({name.c_str(), "p=1"});
    assert_true(r.run);
    assert_int_equal(r.opts.args[0].size(), 4096);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(env_splits_on_every_single_space),
        cmocka_unit_test(env_leading_quote_makes_one_word_without_quotes),
        cmocka_unit_test(env_inner_quotes_are_removed),
        cmocka_unit_test(env_unterminated_quote_stays),
        cmocka_unit_test(params_with_spaces_are_requoted),
        cmocka_unit_test(plain_name_inserts_with_defaults),
        cmocka_unit_test(extra_words_become_module_options),
        cmocka_unit_test(all_makes_every_word_a_module),
        cmocka_unit_test(remove_takes_every_word_as_module),
        cmocka_unit_test(missing_module_is_an_error),
        cmocka_unit_test(show_config_needs_no_module),
        cmocka_unit_test(action_precedence_follows_kmod),
        cmocka_unit_test(verbosity_counts_and_quiet_silences),
        cmocka_unit_test(passed_on_options_land_in_env),
        cmocka_unit_test(env_options_come_first_and_are_appended_to),
        cmocka_unit_test(env_words_after_options_are_modules),
        cmocka_unit_test(force_sets_both_force_kinds),
        cmocka_unit_test(long_options_and_kmodx_extension),
        cmocka_unit_test(wait_value_must_be_a_number),
        cmocka_unit_test(unknown_option_stops_with_failure),
        cmocka_unit_test(version_and_help_stop_at_once),
        cmocka_unit_test(absurdly_long_name_is_just_a_name),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
