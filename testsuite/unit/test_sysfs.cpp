// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kernel/sysfs.hpp"

#include <sys/stat.h>
#include <sys/syscall.h>

#include <algorithm>
#include <string>
#include <vector>
#include "scratch_dir.hpp"

#include "cmocka.hpp"

using namespace kmodx;

static void live_module_reads_live(void**) {
    test::ScratchDir d;
    d.write("foo/initstate", "live\n");
    assert_true(sysfs::module_state(d.str(), "foo") == ModuleState::Live);
}

static void directory_without_initstate_is_coming(void**) {
    test::ScratchDir d;
    d.mkdir("foo");
    assert_true(sysfs::module_state(d.str(), "foo") == ModuleState::Coming);
}

static void missing_directory_is_absent(void**) {
    test::ScratchDir d;
    assert_true(sysfs::module_state(d.str(), "foo") == ModuleState::Absent);
}

static void refcount_parses_number(void**) {
    test::ScratchDir d;
    d.write("foo/refcnt", "3\n");
    auto r = sysfs::refcount(d.str(), "foo");
    assert_true(r.has_value());
    assert_int_equal(*r, 3);
}

static void refcount_rejects_garbage(void**) {
    test::ScratchDir d;
    d.write("foo/refcnt", "3x\n");
    auto r = sysfs::refcount(d.str(), "foo");
    assert_false(r.has_value());
    assert_int_equal(r.error().code, EINVAL);
}

static void holders_are_the_directory_entries(void**) {
    test::ScratchDir d;
    d.mkdir("foo/holders/zeta");
    d.mkdir("foo/holders/alpha");
    auto r = sysfs::holders(d.str(), "foo");
    assert_true(r.has_value());
    std::vector<std::string> got = *r;
    std::sort(got.begin(), got.end());
    assert_int_equal(got.size(), 2);
    assert_string_equal(got[0].c_str(), "alpha");
    assert_string_equal(got[1].c_str(), "zeta");
}

static void holders_of_missing_module_fail_with_enoent(void**) {
    test::ScratchDir d;
    auto r = sysfs::holders(d.str(), "nope");
    assert_false(r.has_value());
    assert_int_equal(r.error().code, ENOENT);
}

static void instance_is_the_directorys_inode(void**) {
    test::ScratchDir d;
    d.mkdir("foo");
    d.write("bar", "x");
    struct stat st;
    assert_int_equal(::stat((d.str() + "/foo").c_str(), &st), 0);
    auto r = sysfs::module_instance(d.str(), "foo");
    assert_true(r.has_value());
    assert_int_equal(*r, st.st_ino);
    assert_int_equal(sysfs::module_instance(d.str(), "bar").error().code, ENOTDIR);
    assert_int_equal(sysfs::module_instance(d.str(), "nope").error().code, ENOENT);
}

// /proc/PID/syscall as the kernel prints it (fs/proc/base.c).
static void syscall_text_reads_as_an_activity(void**) {
    using kmodx::TaskActivity;
    using kmodx::sysfs::task_activity_of;
    const std::string args = " 0x3 0x55d0c0ffee00 0x0 0x3 0x0 0x0 0x7ffd3c1a2b48 0x7f1e2d3c4b5a\n";
    assert_true(task_activity_of(std::to_string(SYS_finit_module) + args) == TaskActivity::InLoadCall);
    assert_true(task_activity_of(std::to_string(SYS_init_module) + args) == TaskActivity::InLoadCall);
    assert_true(task_activity_of("running\n") == TaskActivity::Running);
    assert_true(task_activity_of(std::to_string(SYS_wait4) + args) == TaskActivity::Other);
    assert_true(task_activity_of("-1 0x7ffd3c1a2b48 0x7f1e2d3c4b5a\n") == TaskActivity::Other);
    assert_true(task_activity_of(std::to_string(SYS_finit_module) + "0" + args) == TaskActivity::Other);
    assert_true(task_activity_of(std::to_string(SYS_finit_module) + "x") == TaskActivity::Other);
    assert_true(task_activity_of("") == TaskActivity::Other);
    assert_true(task_activity_of("runningx") == TaskActivity::Other);
}

// /proc/PID/stat as the kernel prints it (fs/proc/array.c): the start time
// is field 22, counted from the last ')' since a user picks the comm.
static void stat_text_gives_the_start_time(void**) {
    using kmodx::sysfs::task_start_of;
    const std::string tail =
        " S 1 1234 1234 0 -1 4194560 2361 0 0 0 1 2 0 0 20 0 1 0 987654 17248256 907 "
        "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0\n";
    assert_true(task_start_of("4242 (modprobe)" + tail) == 987654u);
    assert_true(task_start_of("4242 (a) S 9 (b)" + tail) == 987654u);
    assert_true(task_start_of("4242 ( ) 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19)" + tail) == 987654u);
    assert_false(task_start_of("4242 (modprobe) S 1 2").has_value());
    assert_false(task_start_of("4242 modprobe" + tail).has_value());
    assert_false(task_start_of("").has_value());
    assert_false(task_start_of("4242 (m) S 1 1234 1234 0 -1 4194560 2361 0 0 0 1 2 0 0 20 0 1 0 x9 1").has_value());
    using kmodx::sysfs::proc_stat_field;
    assert_true(proc_stat_field("9 (a) b) c) S 1 1 1 0 -1 64 0\n", 3) == "S");
    assert_true(proc_stat_field("9 (a) b) c) S 1 1 1 0 -1 64 0\n", 9) == "64");
    assert_true(proc_stat_field("9 (a) b) c) S 1 1 1 0 -1 64 0\n", 10) == "0");
    assert_false(proc_stat_field("9 (a) b) c) S 1 1 1 0 -1 64 0\n", 11).has_value());
    assert_false(proc_stat_field("9 (a) S 1", 2).has_value());
    assert_false(proc_stat_field("9 a S 1", 3).has_value());
    // This process's own, through the real /proc.
    auto self = kmodx::sysfs::read_file("/proc/self/stat");
    assert_true(self.has_value());
    assert_true(task_start_of(*self).has_value());
}

// /proc/modules rows: name, state and the taint flags; a line too short to
// be a row is skipped, and the walk stops when asked.
static void proc_modules_rows_read_name_state_and_taint(void**) {
    const char* text =
        "nvme 57344 0 - Live 0xffffffffc0a4e000\n"
        "vboxdrv 696320 2 vboxnetadp, Live 0xffffffffc0800000 (OE)\n"
        "broken 1 0\n"
        "xfs 2109440 1 - Unloading 0x0000000000000000 (E) \n"
        "last 1 0 - Loading 0x0\n";
    std::vector<std::string> seen;
    sysfs::each_proc_module(text, [&](const sysfs::ProcModule& m) {
        seen.push_back(std::string(m.name) + "/" + std::string(m.state) + "/" + std::string(m.taint));
        return m.name != "xfs";
    });
    assert_int_equal(seen.size(), 3);
    assert_string_equal(seen[0].c_str(), "nvme/Live/");
    assert_string_equal(seen[1].c_str(), "vboxdrv/Live/OE");
    assert_string_equal(seen[2].c_str(), "xfs/Unloading/E");
    assert_false(sysfs::parse_proc_module_line("").has_value());
    assert_false(sysfs::parse_proc_module_line("a b c d").has_value());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(live_module_reads_live),
        cmocka_unit_test(directory_without_initstate_is_coming),
        cmocka_unit_test(missing_directory_is_absent),
        cmocka_unit_test(refcount_parses_number),
        cmocka_unit_test(refcount_rejects_garbage),
        cmocka_unit_test(holders_are_the_directory_entries),
        cmocka_unit_test(holders_of_missing_module_fail_with_enoent),
        cmocka_unit_test(instance_is_the_directorys_inode),
        cmocka_unit_test(syscall_text_reads_as_an_activity),
        cmocka_unit_test(stat_text_gives_the_start_time),
        cmocka_unit_test(proc_modules_rows_read_name_state_and_taint),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
