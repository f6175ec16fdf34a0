// SPDX-License-Identifier: LGPL-2.1-or-later
// lib/core's process helpers: directory listings without opendir(), the pid
// and euid asked of the kernel once per process, and the bounded flock().
#include "core/bounded_flock.hpp"
#include "core/dir_entries.hpp"
#include "core/self.hpp"

#include <kmodx/clock.hpp>
#include <kmodx/fd.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
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

// Two open file descriptions of one file: flock() on one conflicts with the other.
struct TwoOpens {
    test::ScratchDir d;
    UniqueFd a, b;
    TwoOpens() {
        d.write("lock", "");
        const std::string p = d.str() + "/lock";
        a.reset(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
        b.reset(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    }
};

static void free_lock_is_taken_at_once(void**) {
    TwoOpens t;
    assert_true(bounded_flock::within(t.a.get(), LOCK_EX, 1000));
    assert_int_equal(::flock(t.b.get(), LOCK_EX | LOCK_NB), -1);  // it is really held
}

static void shared_locks_do_not_wait_for_each_other(void**) {
    TwoOpens t;
    assert_int_equal(::flock(t.a.get(), LOCK_SH), 0);
    assert_true(bounded_flock::within(t.b.get(), LOCK_SH, 1000));
}

static int g_alarms = 0;
static void count_alarm(int) { ++g_alarms; }

// A held lock: the wait ends at the bound with ETIMEDOUT (asleep in the
// kernel until SIGALRM), and the caller's SIGALRM handler is back after.
static void held_lock_times_out_and_restores_sigalrm(void**) {
    TwoOpens t;
    assert_int_equal(::flock(t.a.get(), LOCK_EX), 0);
    struct sigaction mine {
    }, before{};
    mine.sa_handler = count_alarm;
    ::sigemptyset(&mine.sa_mask);
    assert_int_equal(::sigaction(SIGALRM, &mine, &before), 0);
    const std::int64_t start = monotonic_ns();
    errno = 0;
    assert_false(bounded_flock::within(t.b.get(), LOCK_EX, 200));
    assert_int_equal(errno, ETIMEDOUT);
    assert_true(monotonic_ns() - start >= 200'000'000 - 1'000'000);  // not before the bound
    struct sigaction now {};
    assert_int_equal(::sigaction(SIGALRM, &before, &now), 0);
    assert_true(now.sa_handler == count_alarm);
    assert_int_equal(g_alarms, 0);
}

// Past the bound GO_ON is asked; while it says yes the wait goes on, and the
// lock is taken once its holder lets go.
static void go_on_extends_the_wait_until_the_holder_lets_go(void**) {
    TwoOpens t;
    assert_int_equal(::flock(t.a.get(), LOCK_EX), 0);
    int asked = 0;
    bool extended = false;
    const int err = bounded_flock::until(
        t.b.get(), LOCK_EX, monotonic_ns() + 50'000'000,
        [&] {
            if (++asked == 2) ::flock(t.a.get(), LOCK_UN);
            return true;
        },
        extended);
    assert_int_equal(err, 0);
    assert_true(extended);
    assert_true(asked >= 2);
}

static void go_on_saying_no_ends_the_wait(void**) {
    TwoOpens t;
    assert_int_equal(::flock(t.a.get(), LOCK_EX), 0);
    bool extended = false;
    int asked = 0;
    const int err = bounded_flock::until(
        t.b.get(), LOCK_EX, monotonic_ns() + 50'000'000, [&] { return ++asked < 0; }, extended);
    assert_int_equal(err, ETIMEDOUT);
    assert_false(extended);
    assert_int_equal(asked, 1);
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
        cmocka_unit_test(free_lock_is_taken_at_once),
        cmocka_unit_test(shared_locks_do_not_wait_for_each_other),
        cmocka_unit_test(held_lock_times_out_and_restores_sigalrm),
        cmocka_unit_test(go_on_extends_the_wait_until_the_holder_lets_go),
        cmocka_unit_test(go_on_saying_no_ends_the_wait),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
