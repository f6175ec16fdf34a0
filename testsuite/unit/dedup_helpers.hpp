// SPDX-License-Identifier: LGPL-2.1-or-later
// What the dedup unit tests share (test_dedup*.cpp): a runtime directory
// that must open, a child that holds a module's lock until told to go, and a
// kernel whose module settles after a few looks.
#pragma once

#include <kmodx/dedup.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fake_kernel.hpp"

namespace kmodx::test::dedup {

using namespace kmodx::dedup;

inline constexpr std::int64_t kSecond = 1'000'000'000;

inline RuntimeDir open_ok(const std::string& path) {
    auto d = RuntimeDir::open(path);
    if (!d) std::abort();
    return std::move(*d);
}

// A child holding `module`'s lock: it writes its pending record and says so
// on `ready`, then waits for a byte on `go`, sleeps `linger_ms`, writes a
// record with `err` and exits.
inline pid_t spawn_holder(const std::string& dir, const char* module, int err, int linger_ms, int& ready_rd,
                          int& go_wr) {
    int ready[2], go[2];
    if (::pipe(ready) || ::pipe(go)) std::abort();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(ready[0]);
        ::close(go[1]);
        auto d = RuntimeDir::open(dir);
        if (!d) ::_exit(2);
        auto lock = ModuleLock::acquire(*d, module, 0);
        if (!lock) ::_exit(3);
        // As a real holder does before its load call.
        const std::uint64_t start = system_kernel().task_start_time(::getpid()).value_or(0);
        (void)lock->write_record(Record{::getpid(), realtime_ns(), 0, params_hash(""), true, start});
        char c = 'r';
        if (::write(ready[1], &c, 1) != 1) ::_exit(4);
        if (::read(go[0], &c, 1) != 1) ::_exit(5);
        ::usleep(linger_ms * 1000);
        (void)lock->write_record(Record{::getpid(), realtime_ns(), err, params_hash(""), false, start});
        ::_exit(0);
    }
    ::close(ready[1]);
    ::close(go[0]);
    char c;
    if (::read(ready[0], &c, 1) != 1) std::abort();
    ready_rd = ready[0];
    go_wr = go[1];
    return pid;
}

// Reports a module Coming for its first `settle_after` state reads, then
// `settle_to`, as a loader outside kmodx finishing (or failing) would.
struct SettlingKernel : test::FakeKernel {
    int settle_after = 0;
    ModuleState settle_to = ModuleState::Live;
    ModuleState module_state(std::string_view name) override {
        if (settle_after > 0) {
            --settle_after;
            return FakeKernel::module_state(name);
        }
        return settle_to;
    }
};

inline int reap(pid_t pid) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    return st;
}

// Lets a spawn_holder() child finish and reaps it.
inline void release_holder(pid_t child, int ready, int go) {
    char c = 'g';
    if (::write(go, &c, 1) != 1) std::abort();
    const int st = reap(child);
    if (!WIFEXITED(st)) std::abort();
    ::close(ready);
    ::close(go);
}

}  // namespace kmodx::test::dedup
