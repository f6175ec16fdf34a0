// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/udev_override.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "scratch_dir.hpp"

#include "cmocka.hpp"

using namespace kmodx;
using udev::OverrideState;
using udev::Switch;

namespace {

// A machine in a scratch directory: kmodx's copy and udev's own in the second
// of udev's two directories (as on a system whose udev ships under /lib).
struct Machine {
    test::ScratchDir dir;
    udev::OverridePaths paths;
    Machine() {
        paths.rule = dir.str() + "/etc/udev/rules.d/80-drivers.rules";
        paths.ours = dir.str() + "/usr/share/kmodx/udev/80-drivers.rules";
        paths.stock = {dir.str() + "/usr/lib/udev/rules.d/80-drivers.rules",
                       dir.str() + "/lib/udev/rules.d/80-drivers.rules"};
        dir.write("usr/share/kmodx/udev/80-drivers.rules", "kmodx\n");
        dir.write("lib/udev/rules.d/80-drivers.rules", "stock\n");
    }
    OverrideState state() const {
        auto s = udev::override_status(paths);
        assert_true(s.has_value());
        return s->state;
    }
    std::string target() const {
        std::error_code ec;
        return std::filesystem::read_symlink(paths.rule, ec).string();
    }
    bool rule_exists() const {
        struct stat st {};
        return ::lstat(paths.rule.c_str(), &st) == 0;
    }
    // Only the rule itself in its directory: no temporary left behind.
    int entries_beside_rule() const {
        int n = 0;
        for ([[maybe_unused]] const auto& e :
             std::filesystem::directory_iterator(std::filesystem::path(paths.rule).parent_path()))
            ++n;
        return n;
    }
};

bool changed(const udev::OverridePaths& p, Switch to) {
    auto r = udev::switch_override(p, to);
    assert_true(r.has_value());
    return *r;
}

int refused(const udev::OverridePaths& p, Switch to) {
    auto r = udev::switch_override(p, to);
    assert_false(r.has_value());
    return r.error().code;
}

}  // namespace

// Nothing in /etc: unset. The preset (the package's install) turns it on and
// makes the missing directories; a second preset changes nothing.
static void preset_turns_an_unset_machine_on(void**) {
    Machine m;
    assert_int_equal(static_cast<int>(m.state()), static_cast<int>(OverrideState::Unset));
    assert_true(changed(m.paths, Switch::Preset));
    assert_int_equal(static_cast<int>(m.state()), static_cast<int>(OverrideState::On));
    assert_string_equal(m.target().c_str(), m.paths.ours.c_str());
    assert_int_equal(m.entries_beside_rule(), 1);
    assert_false(changed(m.paths, Switch::Preset));
    assert_false(changed(m.paths, Switch::On));
}

// Off links udev's own file (the first that exists), and a later preset (an
// upgrade) keeps the admin's choice; on brings it back.
static void off_is_kept_by_the_preset_and_on_undoes_it(void**) {
    Machine m;
    assert_true(changed(m.paths, Switch::Off));
    assert_int_equal(static_cast<int>(m.state()), static_cast<int>(OverrideState::Off));
    assert_string_equal(m.target().c_str(), m.paths.stock[1].c_str());
    assert_false(changed(m.paths, Switch::Preset));
    assert_int_equal(static_cast<int>(m.state()), static_cast<int>(OverrideState::Off));
    assert_false(changed(m.paths, Switch::Off));
    assert_true(changed(m.paths, Switch::On));
    assert_string_equal(m.target().c_str(), m.paths.ours.c_str());
    assert_int_equal(m.entries_beside_rule(), 1);
    // A link to udev's file under the other directory is off as well.
    m.dir.write("usr/lib/udev/rules.d/80-drivers.rules", "stock\n");
    assert_true(changed(m.paths, Switch::Off));
    assert_string_equal(m.target().c_str(), m.paths.stock[0].c_str());
    assert_int_equal(static_cast<int>(m.state()), static_cast<int>(OverrideState::Off));
}

// The admin's own file, or a link to anything else, is never replaced.
static void the_admins_own_file_is_left_alone(void**) {
    Machine m;
    m.dir.write("etc/udev/rules.d/80-drivers.rules", "mine\n");
    assert_int_equal(static_cast<int>(m.state()), static_cast<int>(OverrideState::Own));
    assert_int_equal(refused(m.paths, Switch::On), EEXIST);
    assert_int_equal(refused(m.paths, Switch::Off), EEXIST);
    assert_int_equal(refused(m.paths, Switch::Preset), EEXIST);
    assert_false(m.rule_exists() && !m.target().empty());
    std::filesystem::remove(m.paths.rule);
    assert_int_equal(::symlink("/dev/null", m.paths.rule.c_str()), 0);
    auto s = udev::override_status(m.paths);
    assert_true(s.has_value());
    assert_int_equal(static_cast<int>(s->state), static_cast<int>(OverrideState::Own));
    assert_string_equal(s->target.c_str(), "/dev/null");
    assert_int_equal(refused(m.paths, Switch::On), EEXIST);
    assert_string_equal(m.target().c_str(), "/dev/null");
}

// A link to a file that is not there would hide udev's own rules: refused,
// and nothing is made.
static void no_link_to_a_missing_file(void**) {
    Machine m;
    std::filesystem::remove(m.paths.ours);
    assert_int_equal(refused(m.paths, Switch::On), ENOENT);
    assert_int_equal(refused(m.paths, Switch::Preset), ENOENT);
    assert_false(m.rule_exists());
    Machine n;
    std::filesystem::remove(n.paths.stock[1]);
    assert_int_equal(refused(n.paths, Switch::Off), ENOENT);
    assert_false(n.rule_exists());
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(preset_turns_an_unset_machine_on),
        cmocka_unit_test(off_is_kept_by_the_preset_and_on_undoes_it),
        cmocka_unit_test(the_admins_own_file_is_left_alone),
        cmocka_unit_test(no_link_to_a_missing_file),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
