// lib/core's process helpers: directory listings without opendir(), and the
// pid and euid asked of the kernel once per process.
#include "core/dir_entries.hpp"
#include "core/self.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>
#include "scratch_dir.hpp"

#include "cmocka.hpp"

using namespace kmodx;

static std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> out;
    auto st = dir_entries::each_in(dir.c_str(), [&](std::string_view n) {
        out.emplace_back(n);
        return true;
    });
    assert_true(st.has_value());
    std::sort(out.begin(), out.end());
    return out;
}

static void lists_every_name_but_dot_and_dotdot(void**) {
    test::ScratchDir d;
    d.write("a.conf", "x");
    d.write("b.alias", "y");
    d.mkdir("sub");
    assert_true((names_in(d.str()) == std::vector<std::string>{"a.conf", "b.alias", "sub"}));
}

static void empty_directory_lists_nothing(void**) {
    test::ScratchDir d;
    assert_true(names_in(d.str()).empty());
}

// Past one getdents64() buffer (8 KiB): 400 names of 40 characters.
static void long_listing_spans_several_reads(void**) {
    test::ScratchDir d;
    for (int i = 0; i < 400; ++i) d.write(std::string(36, 'n') + std::to_string(1000 + i), "");
    assert_int_equal(names_in(d.str()).size(), 400);
}

static void listing_stops_when_told(void**) {
    test::ScratchDir d;
    for (const char* n : {"a", "b", "c"}) d.write(n, "");
    int seen = 0;
    auto st = dir_entries::each_in(d.str().c_str(), [&](std::string_view) { return ++seen < 2; });
    assert_true(st.has_value());
    assert_int_equal(seen, 2);
}

static void missing_directory_is_enoent(void**) {
    test::ScratchDir d;
    auto st = dir_entries::each_in((d.str() + "/none").c_str(), [](std::string_view) { return true; });
    assert_false(st.has_value());
    assert_int_equal(st.error().code, ENOENT);
}

static void file_is_not_a_directory(void**) {
    test::ScratchDir d;
    d.write("f", "x");
    auto st = dir_entries::each_in((d.str() + "/f").c_str(), [](std::string_view) { return true; });
    assert_false(st.has_value());
    assert_int_equal(st.error().code, ENOTDIR);
}

static void pid_and_euid_are_the_kernels(void**) {
    assert_int_equal(self::pid(), ::getpid());
    assert_int_equal(self::euid(), ::geteuid());
}

// A fork() child that asks again gets its own pid, not the parent's kept one;
// after setuid (as root) its own euid.
static void fork_child_asks_afresh(void**) {
    const pid_t parent = self::pid();
    (void)self::euid();
    pid_t child = ::fork();
    if (child == 0) {
        bool ok = self::pid() == ::getpid() && self::pid() != parent;
        if (ok && ::geteuid() == 0 && ::setuid(65534) == 0) ok = self::euid() == 65534;
        ::_exit(ok ? 0 : 1);
    }
    assert_true(child > 0);
    int status = 0;
    assert_int_equal(::waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(self::pid(), parent);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists_every_name_but_dot_and_dotdot),
        cmocka_unit_test(empty_directory_lists_nothing),
        cmocka_unit_test(long_listing_spans_several_reads),
        cmocka_unit_test(listing_stops_when_told),
        cmocka_unit_test(missing_directory_is_enoent),
        cmocka_unit_test(file_is_not_a_directory),
        cmocka_unit_test(pid_and_euid_are_the_kernels),
        cmocka_unit_test(fork_child_asks_afresh),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
