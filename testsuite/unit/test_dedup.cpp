// SPDX-License-Identifier: LGPL-2.1-or-later
// One load per module, the locks themselves: taking, waiting with its bound,
// holders that die or take long, waiters that look together.
#include <kmodx/dedup.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "dedup_helpers.hpp"
#include "fake_kernel.hpp"
#include "scratch_dir.hpp"

#include "cmocka.hpp"

using namespace kmodx;
using namespace kmodx::dedup;
using namespace kmodx::test::dedup;

static void lock_is_reacquired_with_the_previous_record(void**) {
    test::ScratchDir s;
    RuntimeDir dir = open_ok(s.str());
    {
        auto l = ModuleLock::acquire(dir, "dash-mod", 0);
        assert_true(l.has_value());
        assert_false(l->contended());
        assert_false(l->previous().has_value());
        assert_true(l->write_record(Record{1234, 99, ENODEV, params_hash("p=1")}).has_value());
    }
    assert_true(std::filesystem::exists(s.path() / "locks" / "dash_mod"));
    auto l = ModuleLock::acquire(dir, "dash_mod", 0);
    assert_true(l.has_value());
    assert_true(l->previous().has_value());
    assert_int_equal(l->previous()->pid, 1234);
    assert_int_equal(l->previous()->err, ENODEV);
    // A shorter record replaces a longer one completely.
    assert_true(l->write_record(Record{5, 1, 0, 0}).has_value());
    l->release();
    auto again = ModuleLock::acquire(dir, "dash_mod", 0);
    assert_true(again.has_value() && again->previous().has_value());
    assert_int_equal(again->previous()->pid, 5);
}

static void contended_lock_times_out_then_gets_holders_record(void**) {
    test::ScratchDir s;
    RuntimeDir dir = open_ok(s.str());
    int ready, go;
    pid_t child = spawn_holder(s.str(), "evdev", ENODEV, 150, ready, go);

    auto t = ModuleLock::acquire(dir, "evdev", 30);
    assert_false(t.has_value());
    assert_true(t.error().timed_out);
    assert_true(t.error().waited_ns >= 30'000'000);
    // Other modules are not affected.
    assert_true(ModuleLock::acquire(dir, "serio_raw", 0).has_value());

    char c = 'g';
    assert_int_equal(::write(go, &c, 1), 1);
    auto l = ModuleLock::acquire(dir, "evdev", 10'000);
    assert_true(l.has_value());
    assert_true(l->contended());
    assert_true(l->waited_ns() >= 50'000'000);
    assert_true(l->previous().has_value());
    assert_int_equal(l->previous()->pid, child);
    assert_int_equal(l->previous()->err, ENODEV);
    int st = reap(child);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ::close(ready);
    ::close(go);
}

// Past the bound the caller may keep waiting (the module is coming in the
// kernel): asked once at the bound, then once a second, until it says no or
// the holder lets go.
static void wait_goes_past_the_bound_while_the_caller_says_so(void**) {
    test::ScratchDir s;
    RuntimeDir dir = open_ok(s.str());
    int ready, go;
    pid_t child = spawn_holder(s.str(), "evdev", 0, 0, ready, go);

    int asked = 0;
    pid_t told = -1;
    std::vector<std::chrono::steady_clock::time_point> when;
    auto t = ModuleLock::acquire(dir, "evdev", 30, {}, [&](pid_t holder, std::uint64_t) {
        told = holder;
        when.push_back(std::chrono::steady_clock::now());
        return ++asked < 3;
    });
    assert_false(t.has_value());
    assert_true(t.error().timed_out);
    assert_int_equal(asked, 3);
    assert_int_equal(told, child);  // from the holder's pending record
    // Asked again after about a second, then after about two: hundreds of
    // waiters past the bound must not all wake every second.
    const auto gap = [&](int i) { return std::chrono::duration<double>(when[i + 1] - when[i]).count(); };
    assert_true(gap(0) >= 0.85);
    assert_true(gap(1) >= 1.85);
    assert_true(t.error().waited_ns >= 2'700'000'000);

    // Never asked when the holder lets go within the bound.
    asked = 0;
    char c = 'g';
    assert_int_equal(::write(go, &c, 1), 1);
    auto l = ModuleLock::acquire(dir, "evdev", 10'000, {}, [&](pid_t, std::uint64_t) { return ++asked > 0; });
    assert_true(l.has_value());
    assert_int_equal(asked, 0);
    assert_false(l->extended());
    l->release();
    int st = reap(child);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ::close(ready);
    ::close(go);

    // Past the bound and still waiting when the holder lets go: the lock,
    // marked extended.
    child = spawn_holder(s.str(), "evdev", 0, 1200, ready, go);
    assert_int_equal(::write(go, &c, 1), 1);
    asked = 0;
    auto e = ModuleLock::acquire(dir, "evdev", 20, {}, [&](pid_t, std::uint64_t) { return ++asked > 0; });
    assert_true(e.has_value());
    assert_true(e->extended());
    assert_true(asked >= 1);
    assert_int_equal(e->previous()->pid, child);
    // The same for a shared lock turned exclusive behind another looker.
    auto other = ModuleLock::acquire(dir, "evdev", 10'000);
    assert_true(other.has_value() && !other->exclusive());
    std::thread releaser([&] {
        ::usleep(1'200'000);
        other->release();
    });
    asked = 0;
    auto ex = e->make_exclusive(0, [&](pid_t, std::uint64_t) { return ++asked > 0; });
    releaser.join();
    assert_true(ex.has_value() && e->exclusive());
    assert_true(asked >= 1);
    st = reap(child);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ::close(ready);
    ::close(go);
}

static void waiters_look_together_and_one_acts(void**) {
    test::ScratchDir s;
    RuntimeDir dir = open_ok(s.str());
    int ready, go;
    pid_t child = spawn_holder(s.str(), "evdev", 0, 50, ready, go);
    char c = 'g';
    assert_int_equal(::write(go, &c, 1), 1);
    // Behind a holder, the lock granted is shared: a second waiter is let in
    // beside the first, and neither may leave a record.
    auto a = ModuleLock::acquire(dir, "evdev", 10'000);
    assert_true(a.has_value() && a->contended() && !a->exclusive());
    assert_true(a->previous().has_value() && a->previous()->pid == child);
    auto b = ModuleLock::acquire(dir, "evdev", 10'000);
    assert_true(b.has_value() && !b->exclusive());
    assert_int_equal(a->write_record(Record{1, 1, 0, 0}).error().code, EPERM);
    // One that must load after all waits for the other lookers to go.
    assert_false(a->make_exclusive(30).has_value());
    b->release();
    auto ex = a->make_exclusive(10'000);
    assert_true(ex.has_value() && a->exclusive());
    assert_true(a->write_record(Record{7, 1, 0, 0}).has_value());
    a->release();
    auto d = ModuleLock::acquire(dir, "evdev", 0);
    assert_true(d.has_value() && d->exclusive() && !d->contended());
    assert_int_equal(d->previous()->pid, 7);
    int st = reap(child);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ::close(ready);
    ::close(go);
}

// A caller that execs modprobe with SIGALRM blocked (the mask survives exec)
// or ignored: the bound still ends the wait, and the caller's mask and
// handler are as they were afterwards.
static void bound_holds_with_sigalrm_blocked_or_ignored(void**) {
    test::ScratchDir s;
    RuntimeDir dir = open_ok(s.str());
    int ready, go;
    pid_t child = spawn_holder(s.str(), "evdev", 0, 0, ready, go);
    for (bool block : {true, false}) {
        const pid_t waiter = ::fork();
        if (waiter == 0) {
            ::alarm(0);
            sigset_t set;
            ::sigemptyset(&set);
            ::sigaddset(&set, SIGALRM);
            if (block) ::sigprocmask(SIG_BLOCK, &set, nullptr);
            else ::signal(SIGALRM, SIG_IGN);
            auto l = ModuleLock::acquire(dir, "evdev", 200);
            if (l.has_value() || !l.error().timed_out) ::_exit(10);
            sigset_t now;
            ::sigprocmask(SIG_BLOCK, nullptr, &now);
            if (::sigismember(&now, SIGALRM) != (block ? 1 : 0)) ::_exit(11);
            struct sigaction sa {};
            ::sigaction(SIGALRM, nullptr, &sa);
            if ((sa.sa_handler == SIG_IGN) == block) ::_exit(12);
            ::_exit(0);
        }
        // Kept from waiting for ever should the bound not hold.
        int st = 0;
        for (int i = 0; i < 100 && ::waitpid(waiter, &st, WNOHANG) == 0; ++i) ::usleep(50'000);
        if (::waitpid(waiter, &st, WNOHANG) == 0) {
            ::kill(waiter, SIGKILL);
            ::waitpid(waiter, &st, 0);
            fail_msg("waiter with SIGALRM %s still waiting after 5 s", block ? "blocked" : "ignored");
        }
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    release_holder(child, ready, go);
}

static void killed_holder_releases_its_lock(void**) {
    test::ScratchDir s;
    RuntimeDir dir = open_ok(s.str());
    int ready, go;
    pid_t child = spawn_holder(s.str(), "nvme", 0, 0, ready, go);
    assert_false(ModuleLock::acquire(dir, "nvme", 0).has_value());
    ::kill(child, SIGKILL);
    int st = reap(child);
    assert_true(WIFSIGNALED(st));
    auto l = ModuleLock::acquire(dir, "nvme", 0);
    assert_true(l.has_value());
    // It died before its final record: the pending one says someone was
    // loading and did not finish.
    assert_true(l->previous().has_value());
    assert_true(l->previous()->pending);
    assert_int_equal(l->previous()->pid, child);
    ::close(ready);
    ::close(go);
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(lock_is_reacquired_with_the_previous_record),
        cmocka_unit_test(contended_lock_times_out_then_gets_holders_record),
        cmocka_unit_test(wait_goes_past_the_bound_while_the_caller_says_so),
        cmocka_unit_test(waiters_look_together_and_one_acts),
        cmocka_unit_test(bound_holds_with_sigalrm_blocked_or_ignored),
        cmocka_unit_test(killed_holder_releases_its_lock),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
