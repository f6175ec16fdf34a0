// SPDX-License-Identifier: LGPL-2.1-or-later
// One load per module through its entry points: load_once() and
// run_serialised(), with real holders in other processes.
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

// Install commands: serialised, skipped once live, never answered from a
// record. Called from the load_once test, whose runtime directory it shares.
static void run_serialised_runs_commands_under_the_lock() {
    test::FakeKernel k;
    int runs = 0;
    std::string seen;
    auto command = [&] {
        ++runs;
        const char* v = std::getenv("KMODX_LOCKS_HELD");
        seen = v ? v : "";
        return -EINVAL;
    };
    ::setenv("KMODX_LOCKS_HELD", "other", 1);
    GuardReport r1;
    assert_int_equal(run_serialised(k, "snd-pcm", command, r1), -EINVAL);
    assert_string_equal(seen.c_str(), "other:snd_pcm");
    assert_string_equal(std::getenv("KMODX_LOCKS_HELD"), "other");
    GuardReport r2;
    assert_int_equal(run_serialised(k, "snd-pcm", command, r2), -EINVAL);  // failures are not reused
    assert_int_equal(runs, 2);
    k.states["snd_pcm"] = ModuleState::Live;
    GuardReport r3;
    assert_int_equal(run_serialised(k, "snd_pcm", command, r3), -EEXIST);
    assert_int_equal(runs, 2);

    // A child of a process holding the lock does not wait for it.
    ::setenv("KMODX_LOCKS_HELD", "a:evdev:b", 1);
    int loads = 0;
    GuardReport r4;
    assert_int_equal(load_once(
                         k, "evdev", 0,
                         [&] {
                             ++loads;
                             return 0;
                         },
                         r4),
                     0);
    assert_true(r4.held_by_parent);
    assert_int_equal(loads, 1);
    ::unsetenv("KMODX_LOCKS_HELD");
}

// Past the 2 s bound a waiter goes on while the kernel shows the holder in
// its load call or running, and loads on its own once the holder is asleep
// elsewhere. Called from the load_once test, whose runtime directory it shares.
static void waiters_outlast_the_bound_only_for_a_busy_holder(const std::string& dir) {
    for (TaskActivity busy : {TaskActivity::Running, TaskActivity::InLoadCall}) {
        int ready, go;
        const pid_t child = spawn_holder(dir, "psmouse", 0, 0, ready, go);
        test::FakeKernel k;
        k.states["psmouse"] = ModuleState::Live;  // as the holder will leave it
        k.activities[child] = busy;
        std::thread holder_done([go] {
            ::usleep(3'200'000);  // past the bound and one extension
            char c = 'g';
            if (::write(go, &c, 1) != 1) std::abort();
        });
        int loads = 0;
        GuardReport r;
        assert_int_equal(load_once(
                             k, "psmouse", 0,
                             [&] {
                                 ++loads;
                                 return 0;
                             },
                             r),
                         -EEXIST);
        holder_done.join();
        assert_int_equal(loads, 0);
        assert_true(r.waited_for_kernel);
        assert_false(r.timed_out);
        assert_true(r.waited_ns >= 3'000'000'000);
        assert_true(r.by_other);
        assert_int_equal(r.holder_pid, child);
        assert_true(WIFEXITED(reap(child)));
        ::close(ready);
        ::close(go);
    }
    // The record's pid now names another process (the holder died and its
    // pid was handed on; here: the start time the kernel gives differs from
    // the record's), busy as it may be: the bound ends the wait.
    {
        int ready, go;
        const pid_t child = spawn_holder(dir, "psmouse", 0, 0, ready, go);
        test::FakeKernel k;
        k.activities[child] = TaskActivity::Running;
        k.start_times[child] = system_kernel().task_start_time(child).value_or(0) + 12345;
        int loads = 0;
        GuardReport r;
        assert_int_equal(load_once(
                             k, "psmouse", 0,
                             [&] {
                                 ++loads;
                                 return 0;
                             },
                             r),
                         0);
        assert_int_equal(loads, 1);
        assert_true(r.timed_out);
        assert_true(r.holder_pid_reused);
        assert_false(r.waited_for_kernel);
        release_holder(child, ready, go);
    }
    // Asleep outside a load call (an install command, a hung read, stopped):
    // the bound ends the wait.
    int ready, go;
    const pid_t child = spawn_holder(dir, "psmouse", 0, 0, ready, go);
    test::FakeKernel k;
    k.activities[child] = TaskActivity::Other;
    int loads = 0;
    GuardReport r;
    assert_int_equal(load_once(
                         k, "psmouse", 0,
                         [&] {
                             ++loads;
                             return 0;
                         },
                         r),
                     0);
    assert_int_equal(loads, 1);
    assert_true(r.timed_out);
    assert_false(r.waited_for_kernel);
    assert_false(r.live_past_bound);
    // The same holder, with the module live by the time the bound ends the
    // wait (a holder slow to let go after its load): no load of our own.
    k.states["psmouse"] = ModuleState::Live;
    GuardReport live;
    assert_int_equal(load_once(
                         k, "psmouse", 0,
                         [&] {
                             ++loads;
                             return 0;
                         },
                         live),
                     -EEXIST);
    assert_int_equal(loads, 1);
    assert_true(live.timed_out);
    assert_true(live.live_past_bound);
    assert_true(live.by_other);
    release_holder(child, ready, go);
}

// The only test that calls load_once(): its runtime directory is opened once
// per process, from the environment of the first call.
static void load_once_loads_records_and_reuses(void**) {
    test::ScratchDir s;
    const std::string dir = s.str() + "/kmodx";
    ::setenv("KMODX_RUNTIME_DIR", dir.c_str(), 1);
    ::setenv("KMODX_CONFIG", "/dev/null", 1);
    ::setenv("KMODX_LOCK_WAIT_MS", "2000", 1);
    test::FakeKernel k;
    int loads = 0;
    auto failing = [&] {
        ++loads;
        return -ENODEV;
    };
    GuardReport r1;
    assert_int_equal(load_once(k, "evdev", 0, failing, r1), -ENODEV);
    assert_int_equal(loads, 1);
    assert_false(r1.degraded.has_value());
    assert_false(r1.by_other);
    assert_true(std::filesystem::exists(dir + "/locks/evdev"));

    GuardReport r2;
    assert_int_equal(load_once(k, "evdev", 0, failing, r2), -ENODEV);
    assert_int_equal(loads, 1);
    assert_true(r2.by_other);
    assert_int_equal(r2.holder_pid, ::getpid());

    GuardReport r3;
    assert_int_equal(load_once(k, "evdev", 1, failing, r3), -ENODEV);
    assert_int_equal(loads, 2);

    k.states["evdev"] = ModuleState::Live;
    GuardReport r4;
    assert_int_equal(load_once(k, "evdev", 0, failing, r4), -EEXIST);
    assert_int_equal(loads, 2);
    assert_false(r4.by_other);  // nobody made us wait

    GuardReport r5;
    assert_int_equal(load_once(
                         k, "bad/name", 0,
                         [&] {
                             ++loads;
                             return 0;
                         },
                         r5),
                     0);
    assert_int_equal(loads, 3);
    assert_true(r5.degraded == Degraded::BadName);

    // Coming outside kmodx: waited for under the lock, no load once live.
    SettlingKernel sk;
    sk.states["usbcore"] = ModuleState::Coming;
    sk.settle_after = 3;
    sk.settle_to = ModuleState::Live;
    GuardReport r6;
    assert_int_equal(load_once(
                         sk, "usbcore", 0,
                         [&] {
                             ++loads;
                             return 0;
                         },
                         r6),
                     -EEXIST);
    assert_int_equal(loads, 3);
    assert_true(r6.settled);
    assert_true(r6.by_other);
    assert_int_equal(r6.holder_pid, 0);
    // ... and loaded by us once the outside loader gave up.
    sk.states["usbhid"] = ModuleState::Coming;
    sk.settle_after = 2;
    sk.settle_to = ModuleState::Absent;
    GuardReport r7;
    assert_int_equal(load_once(
                         sk, "usbhid", 0,
                         [&] {
                             ++loads;
                             return 0;
                         },
                         r7),
                     0);
    assert_int_equal(loads, 4);
    assert_true(r7.settled);
    assert_false(r7.settle_timed_out);
    run_serialised_runs_commands_under_the_lock();
    waiters_outlast_the_bound_only_for_a_busy_holder(dir);
    ::unsetenv("KMODX_RUNTIME_DIR");
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(load_once_loads_records_and_reuses),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
