// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/config.hpp>

#include <map>
#include <string>
#include <vector>

#include "scratch_dir.hpp"

#include "cmocka.hpp"

using namespace kmodx;

namespace {

struct Warnings {
    std::vector<std::string> lines;
    ConfigWarn sink() {
        return [this](const std::string& m) { lines.push_back(m); };
    }
    bool any_contains(const std::string& s) const {
        for (const auto& l : lines)
            if (l.find(s) != std::string::npos) return true;
        return false;
    }
};

struct Env {
    std::map<std::string, std::string> vars;
    ConfigGetenv fn() {
        return [this](const char* n) -> const char* {
            auto it = vars.find(n);
            return it == vars.end() ? nullptr : it->second.c_str();
        };
    }
};

}  // namespace

static void defaults_without_any_file(void**) {
    test::ScratchDir s;
    Warnings w;
    Env env;
    Config c = load_config(s.str() + "/kmodx.conf", s.str() + "/kmodx.d", env.fn(), w.sink());
    assert_true(w.lines.empty());
    assert_string_equal(c.runtime_dir.c_str(), "/run/kmodx");
    assert_true(c.dedup);
    assert_true(c.lock_wait_ms == 120'000);
    assert_true(c.fail_window_s == 60);
    assert_string_equal(c.state_dir.c_str(), "/var/lib/kmodx");
    assert_true(c.stats);
    assert_int_equal(c.stats_keep_boots, 10);
    assert_true(c.stats_max_bytes == 4u << 20);
}

static void every_key_parses(void**) {
    Warnings w;
    Config c;
    apply_config_text(c,
                      "# kmodx settings\n"
                      "\n"
                      "runtime_dir = /run/other\n"
                      "  dedup=no\n"
                      "lock_wait_ms\t=\t500   # half a second\n"
                      "fail_window_s = 0\n"
                      "state_dir = \"/srv/kmodx\"\n"
                      "stats = off\n"
                      "stats_keep_boots = 3\n"
                      "stats_max_bytes = 2M\r\n",
                      "t.conf", w.sink());
    assert_true(w.lines.empty());
    assert_string_equal(c.runtime_dir.c_str(), "/run/other");
    assert_false(c.dedup);
    assert_true(c.lock_wait_ms == 500);
    assert_true(c.fail_window_s == 0);
    assert_string_equal(c.state_dir.c_str(), "/srv/kmodx");
    assert_false(c.stats);
    assert_int_equal(c.stats_keep_boots, 3);
    assert_true(c.stats_max_bytes == 2u << 20);
}

static void unknown_keys_and_bad_values_warn_and_keep_the_value(void**) {
    Warnings w;
    Config c;
    apply_config_text(c,
                      "lock_wait_ms = 700\n"
                      "colour = blue\n"
                      "lock_wait_ms = soon\n"
                      "dedup = maybe\n"
                      "runtime_dir = relative/dir\n"
                      "fail_window_s = -1\n"
                      "stats_max_bytes = 1K\n"
                      "stats_keep_boots = 99999999999999999999999\n"
                      "just some words\n",
                      "/etc/kmodx.conf", w.sink());
    assert_int_equal(w.lines.size(), 8);
    assert_string_equal(w.lines[0].c_str(), "/etc/kmodx.conf:2: unknown key 'colour', ignored");
    assert_string_equal(w.lines[1].c_str(),
                        "/etc/kmodx.conf:3: bad value 'soon' for lock_wait_ms (expected milliseconds, 0 to "
                        "86400000), ignored");
    assert_true(w.any_contains(":4: bad value 'maybe' for dedup (expected yes or no)"));
    assert_true(w.any_contains(":5: bad value 'relative/dir' for runtime_dir"));
    assert_true(w.any_contains(":6: bad value '-1' for fail_window_s"));
    assert_true(w.any_contains(":7: bad value '1K' for stats_max_bytes"));
    assert_true(w.any_contains(":8: bad value '99999999999999999999999' for stats_keep_boots"));
    assert_true(w.any_contains(":9: expected 'key = value', ignored"));
    for (const auto& l : w.lines) assert_true(l.find('\n') == std::string::npos);
    // Each bad line left the setting as it was.
    assert_true(c.lock_wait_ms == 700);
    assert_true(c.dedup);
    assert_string_equal(c.runtime_dir.c_str(), "/run/kmodx");
    assert_true(c.fail_window_s == 60);
    assert_true(c.stats_max_bytes == 4u << 20);
    assert_int_equal(c.stats_keep_boots, 10);
}

static void layers_in_order_defaults_file_dropins_environment(void**) {
    test::ScratchDir s;
    s.write("kmodx.conf", "lock_wait_ms = 100\nfail_window_s = 5\ndedup = no\nstats_keep_boots = 1\n");
    s.write("kmodx.d/20-b.conf", "fail_window_s = 20\n");
    s.write("kmodx.d/10-a.conf", "fail_window_s = 10\nlock_wait_ms = 110\n");
    s.write("kmodx.d/30-ignored.conf.disabled", "lock_wait_ms = 9\n");
    s.write("kmodx.d/.hidden.conf", "lock_wait_ms = 9\n");
    Warnings w;
    Env env;
    env.vars["KMODX_DEDUP"] = "yes";
    env.vars["KMODX_STATS_KEEP_BOOTS"] = "oops";
    env.vars["KMODX_RUNTIME_DIR"] = "";  // empty: unset
    Config c = load_config(s.str() + "/kmodx.conf", s.str() + "/kmodx.d", env.fn(), w.sink());
    assert_true(c.lock_wait_ms == 110);       // drop-in over the file
    assert_true(c.fail_window_s == 20);       // the later drop-in wins
    assert_true(c.dedup);                     // environment over both
    assert_int_equal(c.stats_keep_boots, 1);  // a bad variable keeps the file's value
    assert_string_equal(c.runtime_dir.c_str(), "/run/kmodx");
    assert_int_equal(w.lines.size(), 1);
    assert_true(w.any_contains("KMODX_STATS_KEEP_BOOTS: bad value 'oops' for stats_keep_boots"));

    // KMODX_CONFIG replaces the main file; drop-ins still apply.
    s.write("other.conf", "lock_wait_ms = 42\nstats = no\n");
    env.vars["KMODX_CONFIG"] = s.str() + "/other.conf";
    Warnings w2;
    Config o = load_config(s.str() + "/kmodx.conf", s.str() + "/kmodx.d", env.fn(), w2.sink());
    assert_false(o.stats);
    assert_true(o.lock_wait_ms == 110);
    assert_true(o.fail_window_s == 20);
}

// `kmodx config`: each key's value and the last place that set it; a bad
// value is no origin, an empty variable none either.
static void every_setting_says_where_it_came_from(void**) {
    test::ScratchDir s;
    s.write("kmodx.conf", "lock_wait_ms = 100\n\n# why\nfail_window_s = 5\nstats = bogus\n");
    s.write("kmodx.d/10-a.conf", "fail_window_s = 10\n");
    s.write("kmodx.d/20-b.conf", "dedup = off\n");
    Warnings w;
    Env env;
    env.vars["KMODX_STATS_MAX_BYTES"] = "8M";
    env.vars["KMODX_RUNTIME_DIR"] = "";
    auto got = explain_config(s.str() + "/kmodx.conf", s.str() + "/kmodx.d", env.fn(), w.sink());
    std::map<std::string, std::pair<std::string, std::string>> by_key;
    for (const auto& c : got) by_key[c.key] = {c.value, c.origin};
    assert_int_equal(got.size(), 8);
    assert_string_equal(got.front().key.c_str(), "runtime_dir");  // kmodx.conf(5)'s order
    auto is = [&](const char* key, const std::string& value, const std::string& origin) {
        assert_string_equal(by_key[key].first.c_str(), value.c_str());
        assert_string_equal(by_key[key].second.c_str(), origin.c_str());
    };
    is("runtime_dir", "/run/kmodx", "default");
    is("lock_wait_ms", "100", s.str() + "/kmodx.conf:1");
    is("fail_window_s", "10", s.str() + "/kmodx.d/10-a.conf:1");
    is("dedup", "no", s.str() + "/kmodx.d/20-b.conf:1");
    is("stats", "yes", "default");  // its bad value changed nothing
    is("stats_max_bytes", "8388608", "environment KMODX_STATS_MAX_BYTES");
    is("state_dir", "/var/lib/kmodx", "default");
    assert_int_equal(w.lines.size(), 1);
    assert_true(w.any_contains("kmodx.conf:5: bad value 'bogus' for stats"));
    // The same values load_config() gives.
    Warnings w2;
    Config c = load_config(s.str() + "/kmodx.conf", s.str() + "/kmodx.d", env.fn(), w2.sink());
    assert_true(c.fail_window_s == 10 && !c.dedup && c.stats_max_bytes == 8u << 20);
}

static void unreadable_files_warn_once(void**) {
    test::ScratchDir s;
    s.mkdir("kmodx.conf");  // a directory where the file should be
    Warnings w;
    Config c;
    apply_config_file(c, s.str() + "/kmodx.conf", w.sink());
    assert_int_equal(w.lines.size(), 1);
    assert_true(w.any_contains("kmodx.conf: Is a directory, ignored"));
    Warnings none;
    apply_config_file(c, s.str() + "/absent.conf", none.sink());
    apply_config_dropins(c, s.str() + "/absent.d", none.sink());
    assert_true(none.lines.empty());
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(defaults_without_any_file),
        cmocka_unit_test(every_key_parses),
        cmocka_unit_test(unknown_keys_and_bad_values_warn_and_keep_the_value),
        cmocka_unit_test(layers_in_order_defaults_file_dropins_environment),
        cmocka_unit_test(every_setting_says_where_it_came_from),
        cmocka_unit_test(unreadable_files_warn_once),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
