// SPDX-License-Identifier: LGPL-2.1-or-later
// kmodx's stats options on modprobe's command line: what they set, the
// one-line refusals, and kmod's own words left as kmod reads them.
#include <kmodx/modprobe_options.hpp>

#include <string>
#include <vector>

#include "cmocka.hpp"

namespace {

kmodx::modprobe::ParseOutcome parse(std::vector<std::string> args) {
    std::vector<char*> av;
    static std::string prog = "modprobe";
    av.push_back(prog.data());
    for (auto& a : args) av.push_back(a.data());
    av.push_back(nullptr);
    return kmodx::modprobe::parse_options(static_cast<int>(av.size() - 1), av.data(), nullptr);
}

}  // namespace

static void cli_stats_options_parse_and_refuse_bad_values(void**) {
    using kmodx::modprobe::Action;
    using kmodx::modprobe::StatsFormat;
    auto r = parse({"--stats"});
    assert_true(r.run);
    assert_int_equal(static_cast<int>(r.opts.action), static_cast<int>(Action::Stats));
    assert_int_equal(static_cast<int>(r.opts.stats_format), static_cast<int>(StatsFormat::Text));
    r = parse({"--stats=prometheus", "--boot", "-2"});
    assert_true(r.run);
    assert_int_equal(static_cast<int>(r.opts.stats_format), static_cast<int>(StatsFormat::Prometheus));
    assert_int_equal(r.opts.stats_boot, -2);
    r = parse({"--stats=html"});
    assert_true(r.run);
    assert_int_equal(static_cast<int>(r.opts.stats_format), static_cast<int>(StatsFormat::Html));
    r = parse({"--stats=svg", "--boot=-3"});
    assert_true(r.run);
    assert_int_equal(static_cast<int>(r.opts.stats_format), static_cast<int>(StatsFormat::Svg));
    assert_int_equal(r.opts.stats_boot, -3);
    r = parse({"-q", "--boot=-1", "--stats=json"});
    assert_true(r.run && r.opts.quiet);
    assert_int_equal(r.opts.stats_boot, -1);
    r = parse({"--stats-reset"});
    assert_int_equal(static_cast<int>(r.opts.action), static_cast<int>(Action::StatsReset));
    r = parse({"--stats-archive"});
    assert_int_equal(static_cast<int>(r.opts.action), static_cast<int>(Action::StatsArchive));
    r = parse({"--explain", "--boot=-1", "--stats"});
    assert_true(r.run);
    assert_int_equal(static_cast<int>(r.opts.stats_format), static_cast<int>(StatsFormat::Explain));
    assert_int_equal(r.opts.stats_boot, -1);

    for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{{"--stats=xml"},
                                                                              {"--stats="},
                                                                              {"--stats", "--boot=1"},
                                                                              {"--stats", "--boot=x"},
                                                                              {"--stats", "--boot"},
                                                                              {"--boot=-1"},
                                                                              {"--stats", "nvme"},
                                                                              {"--stats", "--stats-reset"},
                                                                              {"-r", "--stats"},
                                                                              {"--stats-reset", "--boot=-1"},
                                                                              {"--explain"},
                                                                              {"--stats=json", "--explain"},
                                                                              {"--stats-archive", "--explain"},
                                                                              {"-r", "--explain", "nvme"}}) {
        r = parse(bad);
        assert_false(r.run);
        assert_int_equal(r.status, 1);
        assert_true(r.error_before_log);
        // One line.
        assert_true(r.error.ends_with("\n"));
        assert_int_equal(r.error.find('\n'), r.error.size() - 1);
    }
}

static void cli_stats_options_leave_kmod_words_alone(void**) {
    using kmodx::modprobe::Action;
    // A value of kmod's -C is not an option; after "--" nothing is.
    auto r = parse({"-C", "--stats", "-c"});
    assert_true(r.run);
    assert_int_equal(static_cast<int>(r.opts.action), static_cast<int>(Action::ShowConfig));
    assert_int_equal(r.opts.config_paths.size(), 1);
    assert_string_equal(r.opts.config_paths[0].c_str(), "--stats");
    r = parse({"--conf", "--stats-reset", "-c"});  // a unique prefix of --config takes a value too
    assert_int_equal(static_cast<int>(r.opts.action), static_cast<int>(Action::ShowConfig));
    r = parse({"--", "--stats"});
    assert_true(r.run);
    assert_int_equal(static_cast<int>(r.opts.action), static_cast<int>(Action::Insert));
    assert_string_equal(r.opts.args[0].c_str(), "--stats");
    // Abbreviations stay what kmod makes of them: unknown options.
    for (const char* abbrev : {"--st", "--stat", "--b", "--boo=0", "--stats-r"}) {
        r = parse({abbrev});
        assert_false(r.run);
        assert_int_equal(r.status, 1);
        assert_true(r.error.empty());  // getopt said it
    }
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cli_stats_options_parse_and_refuse_bad_values),
        cmocka_unit_test(cli_stats_options_leave_kmod_words_alone),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
