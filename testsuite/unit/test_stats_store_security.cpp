// SPDX-License-Identifier: LGPL-2.1-or-later
// The stats store beside other users: unsafe directories, lock holders
// that never let go, other users' locks, symlinks, and instance claims.
#include "stats_store_helpers.hpp"

using namespace store_test;

static void unsafe_store_is_refused(void**) {
    if (!need_root()) return;
    test::ScratchDir dir;
    auto s = settings_in(dir);
    Store st(s);
    assert_true(append_one(st, event("m", 1)).has_value());
    std::string stats = s.runtime_dir + "/stats";
    auto code_of = [&](const Status& r) { return r ? 0 : r.error().code; };

    assert_int_equal(::chmod(stats.c_str(), 0777), 0);
    assert_int_equal(code_of(append_one(st, event("m", 2))), EPERM);
    assert_false(st.read(0).has_value());
    assert_int_equal(::chmod(stats.c_str(), 0755), 0);

    assert_int_equal(::chown(stats.c_str(), 65534, 65534), 0);
    assert_int_equal(code_of(append_one(st, event("m", 2))), EPERM);
    assert_int_equal(::chown(stats.c_str(), 0, 0), 0);

    assert_int_equal(::chmod(events_path(s).c_str(), 0666), 0);
    assert_int_equal(code_of(append_one(st, event("m", 2))), EPERM);
    assert_int_equal(::chmod(events_path(s).c_str(), 0644), 0);

    // The stats directory swapped for a symlink to a look-alike.
    dir.mkdir("elsewhere");
    assert_int_equal(::rename(stats.c_str(), (dir.str() + "/elsewhere/stats").c_str()), 0);
    assert_int_equal(::symlink((dir.str() + "/elsewhere/stats").c_str(), stats.c_str()), 0);
    assert_int_equal(code_of(append_one(st, event("m", 2))), ELOOP);
    assert_false(st.read(0).has_value());
    assert_int_equal(::unlink(stats.c_str()), 0);
    assert_int_equal(::rename((dir.str() + "/elsewhere/stats").c_str(), stats.c_str()), 0);

    // The events file as a symlink.
    std::string real = dir.str() + "/elsewhere/file";
    assert_int_equal(::rename(events_path(s).c_str(), real.c_str()), 0);
    assert_int_equal(::symlink(real.c_str(), events_path(s).c_str()), 0);
    assert_int_equal(code_of(append_one(st, event("m", 2))), ELOOP);
    assert_int_equal(::unlink(events_path(s).c_str()), 0);
    assert_int_equal(::rename(real.c_str(), events_path(s).c_str()), 0);

    // Nothing was written by the refused appends.
    assert_true(append_one(st, event("m", 3)).has_value());
    auto got = st.read(0);
    assert_int_equal(got->events.size(), 2);
}

std::string locks_path(const StoreSettings& s) { return s.runtime_dir + "/stats/locks"; }

// A child holding a flock of `op` on `path` (a file or a directory) until
// told to go, as user `uid` when that is not -1.
pid_t lock_holder(const std::string& path, int op, int& go_wr, int uid = -1) {
    int ready[2], go[2];
    assert_int_equal(::pipe(ready), 0);
    assert_int_equal(::pipe(go), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(ready[0]);
        ::close(go[1]);  // or the read below never sees the parent close its end
        if (uid != -1 && (::setgid(uid) != 0 || ::setuid(uid) != 0)) ::_exit(1);
        int fd = ::open(path.c_str(), O_RDONLY);
        if (fd < 0 || ::flock(fd, op) != 0) ::_exit(1);
        char c = 'r';
        (void)!::write(ready[1], &c, 1);
        (void)!::read(go[0], &c, 1);
        ::_exit(0);
    }
    ::close(ready[1]);
    ::close(go[0]);
    char c;
    assert_int_equal(::read(ready[0], &c, 1), 1);
    ::close(ready[0]);
    go_wr = go[1];
    return pid;
}

static void stuck_lock_holder_does_not_hang_writers(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir);
    Store st(s);
    assert_true(append_one(st, event("m", 0)).has_value());
    int go = -1;
    // Exclusive holder stuck (a compactor or reset that never finishes).
    const std::string lock = locks_path(s) + "/" + kBoot + ".events";
    pid_t holder = lock_holder(lock, LOCK_EX, go);
    auto t0 = std::chrono::steady_clock::now();
    auto res = append_one(st, event("m", 1));
    auto waited = std::chrono::steady_clock::now() - t0;
    assert_false(res.has_value());
    assert_int_equal(res.error().code, ETIMEDOUT);
    // About a second; generous for a loaded machine, far from a hang.
    assert_true(waited < std::chrono::seconds(30));
    auto got = st.read(0);
    assert_true(got.has_value());
    assert_int_equal(got->events.size(), 1);
    assert_int_equal(got->dropped, 1);
    ::close(go);
    ::waitpid(holder, nullptr, 0);
    assert_true(append_one(st, event("m", 2)).has_value());

    // A writer stopped while holding its shared lock: the compaction it
    // blocks gives up and the record is appended past the bound.
    s.max_bytes = 300;
    Store small(s);
    holder = lock_holder(lock, LOCK_SH, go);
    assert_true(append_one(small, event("m", 3)).has_value());
    ::close(go);
    ::waitpid(holder, nullptr, 0);
    got = small.read(0);
    assert_int_equal(got->events.size(), 3);
    assert_int_equal(total_count(*got), 3);
    // Once it is gone, the next append compacts.
    assert_true(append_one(small, event("m", 4)).has_value());
    got = small.read(0);
    assert_int_equal(total_count(*got), 4);
    assert_true(got->events.size() < 4);
}

// Another user flocks everything of the store it can open: the events file,
// the dropped counter, the stats directory. Root's appends neither wait nor
// fail, nothing is counted as dropped, and compaction keeps the store within
// its bound: the store's locks are files that user cannot open.
static void other_users_flocks_do_not_reach_the_store(void**) {
    if (!need_root()) return;
    test::ScratchDir dir;
    ::chmod(dir.str().c_str(), 0755);
    auto s = settings_in(dir, 4096);
    Store st(s);
    assert_true(append_one(st, event("m", 0)).has_value());
    const std::string stats = s.runtime_dir + "/stats";
    struct stat sb;
    int seq = 1;
    auto append_many = [&](int n) {
        for (int i = 0; i < n; ++i, ++seq) {
            auto res = append_one(st, event("m" + std::to_string(seq % 3), seq));
            if (!res) fail_msg("append %d: %s", seq, res.error().message().c_str());
            assert_int_equal(::stat(events_path(s).c_str(), &sb), 0);
            assert_true(static_cast<std::uint64_t>(sb.st_size) <= s.max_bytes);
        }
    };
    std::vector<std::pair<pid_t, int>> holders;
    for (const std::string& path : {events_path(s), stats + "/" + kBoot + ".dropped", stats}) {
        int go = -1;
        pid_t pid = lock_holder(path, LOCK_EX, go, 65534);
        holders.emplace_back(pid, go);
    }
    append_many(60);  // about three compactions under the 4 KiB bound
    // Each later holder inherited the earlier ones' pipes: all closed first.
    for (auto [pid, go] : holders) ::close(go);
    for (auto [pid, go] : holders) ::waitpid(pid, nullptr, 0);
    // A shared lock on the events file would stop the compactor converting
    // its own to exclusive.
    int go = -1;
    pid_t pid = lock_holder(events_path(s), LOCK_SH, go, 65534);
    append_many(60);
    ::close(go);
    ::waitpid(pid, nullptr, 0);

    auto got = st.read(0);
    assert_true(got.has_value());
    assert_int_equal(total_count(*got), 121);
    assert_int_equal(got->dropped, 0);
    assert_int_equal(got->skipped, 0);

    // The locks that user would need.
    assert_int_equal(::stat(locks_path(s).c_str(), &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0700);
    assert_int_equal(sb.st_uid, 0);
    for (const char* suffix : {".events", ".dropped", ".compact"}) {
        assert_int_equal(::stat((locks_path(s) + "/" + kBoot + suffix).c_str(), &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0600);
    }
    int rc = in_child([&] {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 10;
        int fd = ::open((locks_path(s) + "/" + kBoot + ".events").c_str(), O_RDONLY);
        if (fd >= 0 || errno != EACCES) return 11;
        fd = ::open(locks_path(s).c_str(), O_RDONLY | O_DIRECTORY);
        return fd < 0 && errno == EACCES ? 0 : 12;
    });
    assert_int_equal(rc, 0);
}

// The locks are trusted only in a directory nobody else can open: one with
// group or other bits (made by hand) is refused by name, and reading goes
// on without it.
static void locks_directory_open_to_others_is_refused(void**) {
    if (!need_root()) return;
    test::ScratchDir dir;
    auto s = settings_in(dir);
    Store st(s);
    assert_true(append_one(st, event("m", 0)).has_value());
    assert_int_equal(::chmod(locks_path(s).c_str(), 0755), 0);
    auto res = append_one(st, event("m", 1));
    assert_false(res.has_value());
    assert_int_equal(res.error().code, EPERM);
    assert_true(res.error().context == locks_path(s) + " is accessible by group or others");
    assert_false(st.reset().has_value());
    auto got = st.read(0);
    assert_true(got.has_value());
    assert_int_equal(got->events.size(), 1);
    assert_int_equal(::chmod(locks_path(s).c_str(), 0700), 0);
    assert_true(append_one(st, event("m", 2)).has_value());
    assert_int_equal(st.read(0)->events.size(), 2);
}

// The runtime directory swapped for a symlink to a directory that holds a
// store: nothing is read from or written to it, and no path below the
// runtime directory is resolved through the link.
static void symlinked_runtime_dir_is_refused(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir);
    Store st(s);
    assert_true(append_one(st, event("m", 0)).has_value());
    const std::string real = dir.str() + "/real";
    assert_int_equal(::rename(s.runtime_dir.c_str(), real.c_str()), 0);
    assert_int_equal(::symlink(real.c_str(), s.runtime_dir.c_str()), 0);
    for (const std::string& rt : {s.runtime_dir, s.runtime_dir + "/", s.runtime_dir + "//"}) {
        auto via = s;
        via.runtime_dir = rt;
        Store linked(via);
        auto res = append_one(linked, event("m", 1));
        assert_false(res.has_value());
        assert_int_equal(res.error().code, ELOOP);
        assert_true(res.error().context == s.runtime_dir + " is a symlink");
        auto got = linked.read(0);
        assert_false(got.has_value());
        assert_int_equal(got.error().code, ELOOP);
        assert_false(linked.reset().has_value());
        assert_false(linked.archive().has_value());
    }
    auto direct = s;
    direct.runtime_dir = real;
    auto got = Store(direct).read(0);
    assert_true(got.has_value());
    assert_int_equal(got->events.size(), 1);
    assert_int_equal(got->dropped, 0);

    // The state directory likewise, for the archived boots.
    assert_true(Store(direct).archive().has_value());
    auto next_boot = direct;
    next_boot.boot_id = "22222222-2222-3333-4444-555555555555";
    assert_true(Store(next_boot).read(-1).has_value());
    const std::string real_state = dir.str() + "/real_state";
    assert_int_equal(::rename(s.state_dir.c_str(), real_state.c_str()), 0);
    assert_int_equal(::symlink(real_state.c_str(), s.state_dir.c_str()), 0);
    auto prev = Store(next_boot).read(-1);
    assert_false(prev.has_value());
    assert_int_equal(prev.error().code, ELOOP);
}

static Outcome outcome_of(const BootEvents& b, std::size_t i) { return b.events.at(i).outcome; }

static void second_claim_of_an_instance_is_merged(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir);
    Store st(s);
    auto loaded = [](const char* m, std::uint64_t instance) {
        Event e = event(m, 1);
        e.instance = instance;
        e.module_bytes = 8192;
        e.text_bytes = 4096;
        return e;
    };
    assert_true(append_one(st, loaded("a", 7)).has_value());
    assert_true(append_one(st, loaded("a", 7)).has_value());  // merged into the first
    assert_true(append_one(st, loaded("a", 0)).has_value());  // instance unknown: a load
    assert_true(append_one(st, loaded("b", 7)).has_value());  // another module
    assert_true(append_one(st, event("a", 2, Outcome::Removed)).has_value());
    assert_true(append_one(st, loaded("a", 7)).has_value());  // loaded again after the removal
    auto got = st.read(0);
    assert_int_equal(got->events.size(), 6);
    assert_int_equal(int(outcome_of(*got, 0)), int(Outcome::Loaded));
    assert_int_equal(int(outcome_of(*got, 1)), int(Outcome::MergedInKernel));
    assert_int_equal(got->events[1].module_bytes, 0);
    assert_int_equal(got->events[1].text_bytes, 0);
    assert_int_equal(got->events[1].file_bytes, 100);  // what the process itself had
    assert_int_equal(int(outcome_of(*got, 2)), int(Outcome::Loaded));
    assert_int_equal(int(outcome_of(*got, 3)), int(Outcome::Loaded));
    assert_int_equal(int(outcome_of(*got, 5)), int(Outcome::Loaded));
    assert_int_equal(got->events[5].module_bytes, 8192);

    // Racing writers: one load, the rest merged.
    std::vector<pid_t> pids;
    for (int i = 0; i < 40; ++i) {
        pid_t p = ::fork();
        if (p == 0) _exit(append_one(st, loaded("c", 9)).has_value() ? 0 : 1);
        pids.push_back(p);
    }
    for (pid_t p : pids) {
        int status = 0;
        assert_int_equal(::waitpid(p, &status, 0), p);
        assert_int_equal(status, 0);
    }
    got = st.read(0);
    int loads = 0, merged = 0;
    for (const Event& e : got->events) {
        if (e.module != "c") continue;
        loads += e.outcome == Outcome::Loaded;
        merged += e.outcome == Outcome::MergedInKernel;
    }
    assert_int_equal(loads, 1);
    assert_int_equal(merged, 39);
}

static void claims_that_cannot_be_made_leave_loads_alone(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir);
    Store st(s);
    assert_true(append_one(st, event("x", 0)).has_value());  // creates the store
    // Something that is not a directory where the claims go.
    dir.write("run/stats/" + std::string(kBoot) + ".formed", "junk");
    Event e = event("x", 1);
    e.instance = 3;
    assert_true(append_one(st, e).has_value());
    assert_true(append_one(st, e).has_value());
    auto got = st.read(0);
    assert_int_equal(got->events.size(), 3);
    for (const Event& ev : got->events) assert_int_equal(int(ev.outcome), int(Outcome::Loaded));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unsafe_store_is_refused),
        cmocka_unit_test(stuck_lock_holder_does_not_hang_writers),
        cmocka_unit_test(other_users_flocks_do_not_reach_the_store),
        cmocka_unit_test(locks_directory_open_to_others_is_refused),
        cmocka_unit_test(symlinked_runtime_dir_is_refused),
        cmocka_unit_test(second_claim_of_an_instance_is_merged),
        cmocka_unit_test(claims_that_cannot_be_made_leave_loads_alone),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
