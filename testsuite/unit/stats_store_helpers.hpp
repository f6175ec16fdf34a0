// SPDX-License-Identifier: LGPL-2.1-or-later
// What the stats store's tests share: a store in a scratch directory, an
// event made to order, a child process, raw appends, a storm of writers.
#pragma once

#include <kmodx/stats.hpp>

#include "stats/event.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "scratch_dir.hpp"

#include "cmocka.hpp"

namespace store_test {

using namespace kmodx;
using namespace kmodx::stats;
namespace fs = std::filesystem;

inline constexpr const char* kBoot = "11111111-2222-3333-4444-555555555555";

inline StoreSettings settings_in(const test::ScratchDir& dir, std::uint64_t max_bytes = 64u << 20) {
    StoreSettings s;
    s.runtime_dir = dir.str() + "/run";
    s.state_dir = dir.str() + "/state";
    s.max_bytes = max_bytes;
    s.boot_id = kBoot;
    // Only root creates the store's directories; as anyone else the tests
    // run in directories of their own.
    if (::geteuid() != 0) {
        for (const char* d : {"run/stats", "state/boots"}) {
            dir.mkdir(d);
            fs::permissions(dir.path() / d, fs::perms(0755));
            fs::permissions((dir.path() / d).parent_path(), fs::perms(0755));
        }
    }
    return s;
}

inline std::string events_path(const StoreSettings& s) { return s.runtime_dir + "/stats/" + s.boot_id + ".events"; }

inline Event event(const std::string& module, int seq, Outcome o = Outcome::Loaded) {
    Event e;
    e.time_ns = 1000 + seq;
    e.module = module;
    e.tool = "modprobe";
    e.pid = ::getpid();
    e.outcome = o;
    e.requester = Requester::Udev;
    e.parent_comm = "systemd-udevd";
    e.file_bytes = 100;
    e.syscall_ns = 7;
    e.holder_pid = seq;  // lets a test tell the records apart
    return e;
}

inline Status append_one(Store& st, const Event& e) { return st.append(std::span<const Event>(&e, 1)); }

// Runs f in a child; the child's exit code (128+signal when killed).
template <class F>
inline int in_child(F f) {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(f());
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Mount namespaces, tmpfs and setuid need root; elsewhere those tests skip.
inline constexpr int kNoMounts = 77;
inline bool need_root() {
    if (::geteuid() == 0) return true;
    skip();
    return false;
}

inline void append_raw(const std::string& path, const std::string& bytes) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
}

inline std::uint64_t total_count(const BootEvents& b) {
    std::uint64_t n = 0;
    for (const Event& e : b.events) n += e.count;
    return n;
}

// N processes released together, each appending `per` records one by one.
inline void storm(const StoreSettings& s, int writers, int per, std::vector<pid_t>& pids) {
    int go[2];
    assert_int_equal(::pipe(go), 0);
    for (int w = 0; w < writers; ++w) {
        pid_t pid = ::fork();
        if (pid == 0) {
            ::close(go[1]);
            char c;
            (void)!::read(go[0], &c, 1);  // EOF: everyone starts at once
            Store st(s);
            int failed = 0;
            for (int j = 0; j < per; ++j) failed += !append_one(st, event("m" + std::to_string(j % 5), j));
            ::_exit(failed ? 1 : 0);
        }
        assert_true(pid > 0);
        pids.push_back(pid);
    }
    ::close(go[0]);
    ::close(go[1]);
    for (pid_t pid : pids) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
}

}  // namespace store_test
