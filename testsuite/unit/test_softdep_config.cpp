// SPDX-License-Identifier: LGPL-2.1-or-later
// softdep lines read as libkmod's config parser reads them, and which line
// gives a module its softdeps (the first that matches, when the order of
// files cannot matter).
#include "modprobe/softdep_config.hpp"

#include <string>
#include <vector>

#include "cmocka.hpp"

using namespace kmodx::modprobe;

namespace {

std::vector<std::string> v(std::initializer_list<const char*> l) { return {l.begin(), l.end()}; }

ConfigFile file(const char* name, const char* text, bool as_is = true) { return config_file(name, text, as_is); }

}  // namespace

static void softdep_lines_parsed_as_libkmod_parses_them(void**) {
    auto sd = parse_softdep_line("softdep crc32c-intel pre: a b-c post: d\tpre: e");
    assert_non_null(sd ? &*sd : nullptr);
    assert_string_equal(sd->pattern.c_str(), "crc32c_intel");
    assert_true(sd->pre == v({"a", "b-c", "e"}));
    assert_true(sd->post == v({"d"}));
    // Words before pre: or post: are dropped; empty lists still make a line.
    sd = parse_softdep_line("\t softdep  x  ignored  post:  ");
    assert_true(sd && sd->pre.empty() && sd->post.empty());
    sd = parse_softdep_line("softdep x[a-b] pre: y");
    assert_true(sd && sd->pattern == "x[a-b]");
    // libkmod's bad lines: nothing after the pattern, an unbalanced bracket,
    // a comment, another command.
    for (const char* bad : {"softdep x", "softdep x ", "softdep", "softdep x] pre: y", "softdep x[ pre: y",
                            "#softdep x pre: y", "softdepx pre: y", "options x pre: y", ""})
        assert_false(parse_softdep_line(bad).has_value());
}

static void first_matching_line_in_one_file(void**) {
    const std::vector<ConfigFile> files{
        file("a.conf", "options evdev x=1\nsoftdep ev* pre: serio_raw\nsoftdep evdev post: loop\n"),
        file("modules.softdep", "softdep libcrc32c pre: crc32c\n"),
    };
    auto sd = softdeps_of(files, "evdev");
    assert_true(sd && sd->pre == v({"serio_raw"}) && sd->post.empty());
    sd = softdeps_of(files, "libcrc32c");
    assert_true(sd && sd->pre == v({"crc32c"}));
    sd = softdeps_of(files, "xfs");
    assert_true(sd && sd->pattern.empty() && sd->pre.empty() && sd->post.empty());
}

static void unsure_when_the_order_of_files_decides(void**) {
    // Lines in two files: which comes first is libkmod's sorting.
    std::vector<ConfigFile> files{file("a.conf", "softdep evdev pre: x\n"), file("b.conf", "softdep evdev post: y\n")};
    assert_false(softdeps_of(files, "evdev").has_value());
    assert_true(softdeps_of(files, "xfs").has_value());
    // A file libkmod might not read, or might read instead of another.
    files = {file("a.conf", "softdep evdev pre: x\n", false)};
    assert_false(softdeps_of(files, "evdev").has_value());
    assert_true(softdeps_of(files, "serio_raw").has_value());
    // A bracket pattern anywhere.
    files = {file("a.conf", "softdep [ab]vdev pre: x\n")};
    assert_false(softdeps_of(files, "evdev").has_value());
    // A softdep line libkmod calls bad, whatever module it is for.
    files = {file("a.conf", "softdep other\nsoftdep evdev pre: x\n")};
    assert_false(softdeps_of(files, "evdev").has_value());
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(softdep_lines_parsed_as_libkmod_parses_them),
        cmocka_unit_test(first_matching_line_in_one_file),
        cmocka_unit_test(unsure_when_the_order_of_files_decides),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
