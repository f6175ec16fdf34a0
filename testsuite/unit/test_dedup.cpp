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

#include "fake_kernel.hpp"
#include "scratch_dir.hpp"

#include "cmocka.hpp"

using namespace kmodx;
using namespace kmodx::dedup;

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

RuntimeDir open_ok(const std::string& path) {
    auto d = RuntimeDir::open(path);
    if (!d) std::abort();
    return std::move(*d);
}

// A child holding `module`'s lock: it writes its pending record and says so
// on `ready`, then waits for a byte on `go`, sleeps `linger_ms`, writes a
// record with `err` and exits.
pid_t spawn_holder(const std::string& dir, const char* module, int err, int linger_ms, int& ready_rd, int& go_wr) {
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

int reap(pid_t pid) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    return st;
}

// Lets a spawn_holder() child finish and reaps it.
void release_holder(pid_t child, int ready, int go) {
    char c = 'g';
    if (::write(go, &c, 1) != 1) std::abort();
    const int st = reap(child);
    if (!WIFEXITED(st)) std::abort();
    ::close(ready);
    ::close(go);
}

}  // namespace

static void lock_names_are_canonical_and_sanitized(void**) {
    assert_string_equal(lock_name("dash-mod").value().c_str(), "dash_mod");
    assert_string_equal(lock_name("Kvm_intel9").value().c_str(), "Kvm_intel9");
    assert_false(lock_name("").has_value());
    assert_false(lock_name("../etc/passwd").has_value());
    assert_false(lock_name("a/b").has_value());
    assert_false(lock_name("a.b").has_value());
    assert_false(lock_name(std::string("x\0y", 3)).has_value());
    assert_true(lock_name(std::string(56, 'a')).has_value());
    assert_false(lock_name(std::string(57, 'a')).has_value());
}

static void record_round_trips(void**) {
    Record r{4242, 1700000000123456789LL, 19, params_hash("foo=1 bar"), false, 987654321};
    auto back = parse_record(format_record(r));
    assert_true(back.has_value());
    assert_int_equal(back->pid, 4242);
    assert_true(back->time_ns == r.time_ns);
    assert_int_equal(back->err, 19);
    assert_true(back->key == r.key);
    assert_true(back->start == 987654321);
    assert_true(params_hash("a") != params_hash("b"));
    assert_false(back->pending);

    Record p{17, 5, 0, 9, true};
    const std::string text = format_record(p);
    assert_non_null(std::strstr(text.c_str(), "\nerr pending\n"));
    auto pb = parse_record(text);
    assert_true(pb.has_value());
    assert_true(pb->pending);
    assert_int_equal(pb->pid, 17);
}

static void garbage_records_read_as_none(void**) {
    const std::string good = format_record(Record{1, 5, 0, 7});
    assert_true(parse_record(good).has_value());
    assert_false(parse_record("").has_value());
    assert_false(parse_record("hello\n").has_value());
    // Fixed length: a record overwrites the one before it whole, no truncate.
    assert_int_equal(good.size(), kRecordBytes);
    assert_int_equal(format_record(Record{2147483647, INT64_MAX, 2147483647, ~0ULL, false}).size(), kRecordBytes);
    assert_int_equal(format_record(Record{1, 5, 0, 7, true}).size(), kRecordBytes);
    const std::size_t end = good.find('\n', good.find("key")) + 1;
    assert_true(parse_record(good.substr(0, end)).has_value());  // unpadded, as written before
    assert_false(parse_record(good.substr(0, end - 1)).has_value());  // truncated
    assert_false(parse_record(good + "extra\n").has_value());
    assert_false(parse_record(good.substr(0, end) + "\n\nx\n").has_value());
    assert_false(parse_record("kmodx-dedup 2\npid 0\nstart 1\ntime 5\nerr 0\nkey 7\n").has_value());
    assert_false(parse_record("kmodx-dedup 2\npid 1\nstart 1\ntime 5\nerr -3\nkey 7\n").has_value());
    assert_false(parse_record("kmodx-dedup 2\npid 1\nstart 1\ntime 5x\nerr 0\nkey 7\n").has_value());
    assert_false(parse_record("kmodx-dedup 2\npid 99999999999999999999\nstart 1\ntime 5\nerr 0\nkey 7\n").has_value());
    assert_false(parse_record("kmodx-dedup 2\npid 1\nstart -1\ntime 5\nerr 0\nkey 7\n").has_value());
    assert_false(parse_record("kmodx-dedup 2\npid 1\ntime 5\nerr 0\nkey 7\n").has_value());  // no start
    assert_true(parse_record("kmodx-dedup 2\npid 1\nstart 1\ntime 5\nerr 0\nkey 7\n").has_value());
    // A version 1 record (no start time, keyed by the options alone) is none.
    assert_false(parse_record("kmodx-dedup 1\npid 1\ntime 5\nerr 19\nparams 7\n").has_value());
    assert_false(parse_record(std::string(300, 'k')).has_value());
    assert_false(parse_record("kmodx-dedup 2\npid 1\nstart 1\ntime 5\nerr pendingx\nkey 7\n").has_value());
}

static void decision_table(void**) {
    const std::int64_t now = 1000 * kSecond;
    const auto h = params_hash("");
    const Record failed{7, now - 10 * kSecond, ENODEV, h};
    const Record old_fail{7, now - 61 * kSecond, ENODEV, h};
    const Record loaded{7, now - kSecond, 0, h};
    const Record exists{7, now - kSecond, EEXIST, h};
    const Record future{7, now + 10 * kSecond, ENODEV, h};

    assert_true(decide(ModuleState::Live, failed, h, now, 60).action == Action::SkipLive);
    assert_true(decide(ModuleState::Live, std::nullopt, h, now, 60).action == Action::SkipLive);
    assert_true(decide(ModuleState::Absent, std::nullopt, h, now, 60).action == Action::Load);
    auto d = decide(ModuleState::Absent, failed, h, now, 60);
    assert_true(d.action == Action::ReuseFailure);
    assert_int_equal(d.err, ENODEV);
    assert_true(decide(ModuleState::Absent, old_fail, h, now, 60).action == Action::Load);
    assert_true(decide(ModuleState::Absent, failed, h, now, 0).action == Action::Load);
    assert_true(decide(ModuleState::Absent, failed, params_hash("x=1"), now, 60).action == Action::Load);
    // Loaded by the holder, then removed again: load.
    assert_true(decide(ModuleState::Absent, loaded, h, now, 60).action == Action::Load);
    assert_true(decide(ModuleState::Coming, failed, h, now, 60).action == Action::ReuseFailure);
    // Coming or going outside kmodx: wait for it to settle under the lock.
    assert_true(decide(ModuleState::Coming, loaded, h, now, 60).action == Action::Settle);
    assert_true(decide(ModuleState::Coming, std::nullopt, h, now, 60).action == Action::Settle);
    assert_true(decide(ModuleState::Going, std::nullopt, h, now, 60).action == Action::Settle);
    // ... unless a kmodx holder died loading it: the kernel's own wait answers.
    const Record pending{7, now - kSecond, 0, h, true};
    assert_true(decide(ModuleState::Coming, pending, h, now, 60).action == Action::Load);
    assert_true(decide(ModuleState::Going, pending, h, now, 60).action == Action::Settle);
    assert_true(decide(ModuleState::Live, pending, h, now, 60).action == Action::SkipLive);
    assert_true(decide(ModuleState::Absent, pending, h, now, 60).action == Action::Load);
    assert_true(decide(ModuleState::Absent, exists, h, now, 60).action == Action::Load);
    assert_true(decide(ModuleState::Absent, future, h, now, 60).action == Action::Load);
    // Failures of the moment are tried again.
    for (int e : {ENOENT, EBUSY, EAGAIN, ENOMEM})
        assert_true(decide(ModuleState::Absent, Record{7, now - kSecond, e, h}, h, now, 60).action == Action::Load);
    // ... and so are the caller's: one without CAP_SYS_MODULE must not
    // hand its EPERM to the kernel's next request.
    for (int e : {EPERM, EACCES})
        assert_true(decide(ModuleState::Absent, Record{7, now - kSecond, e, h}, h, now, 60).action == Action::Load);
    assert_true(decide(ModuleState::Absent, Record{7, now - kSecond, ENOEXEC, h}, h, now, 60).action ==
                Action::ReuseFailure);
}

static void runtime_dir_accepts_private_root_dir_and_creates_missing(void**) {
    test::ScratchDir s;
    assert_true(RuntimeDir::open(s.str()).has_value());
    const std::string sub = s.str() + "/kmodx";
    auto d = RuntimeDir::open(sub);
    assert_true(d.has_value());
    struct stat st;
    assert_int_equal(::stat(sub.c_str(), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    // The lock files' directory is root's alone, whatever the umask.
    assert_int_equal(::stat((sub + "/locks").c_str(), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
}

static void runtime_dir_degraded_cases(void**) {
    test::ScratchDir s;
    auto reason = [](const std::string& p) {
        auto d = RuntimeDir::open(p);
        return d ? static_cast<Degraded>(-1) : d.error();
    };
    assert_true(reason(s.str() + "/no/parent") == Degraded::Missing);

    s.mkdir("real");
    std::filesystem::create_symlink(s.path() / "real", s.path() / "link");
    assert_true(reason(s.str() + "/link") == Degraded::Symlink);

    s.mkdir("open");
    ::chmod((s.path() / "open").c_str(), 0777);
    assert_true(reason(s.str() + "/open") == Degraded::Writable);
    s.mkdir("group");
    ::chmod((s.path() / "group").c_str(), 0775);
    assert_true(reason(s.str() + "/group") == Degraded::Writable);

    s.write("file", "x");
    assert_true(reason(s.str() + "/file") == Degraded::Other);

    s.mkdir("nobody");
    assert_int_equal(::chown((s.path() / "nobody").c_str(), 65534, 65534), 0);
    assert_true(reason(s.str() + "/nobody") == Degraded::NotOwnedByRoot);

    // locks/ that others may enter (they may hold a lock file open from
    // then on), that is not a directory, or that another user owns.
    s.mkdir("readable");
    s.mkdir("readable/locks");
    ::chmod((s.path() / "readable/locks").c_str(), 0755);
    assert_true(reason(s.str() + "/readable") == Degraded::OpenToOthers);
    s.mkdir("plainfile");
    s.write("plainfile/locks", "x");
    assert_true(reason(s.str() + "/plainfile") == Degraded::NotRegular);
    s.mkdir("foreign");
    s.mkdir("foreign/locks");
    ::chmod((s.path() / "foreign/locks").c_str(), 0700);
    assert_int_equal(::chown((s.path() / "foreign/locks").c_str(), 65534, 65534), 0);
    assert_true(reason(s.str() + "/foreign") == Degraded::NotOwnedByRoot);
    s.mkdir("linked");
    std::filesystem::create_symlink(s.path() / "real", s.path() / "linked/locks");
    assert_true(reason(s.str() + "/linked") != static_cast<Degraded>(-1));
}

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
            if (block)
                ::sigprocmask(SIG_BLOCK, &set, nullptr);
            else
                ::signal(SIGALRM, SIG_IGN);
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

// A failure is remembered for the same file, options and force flags only.
static void request_keys_name_the_file_and_the_flags(void**) {
    test::ScratchDir s;
    s.write("m.ko", "module");
    const std::string path = s.str() + "/m.ko";
    const auto k = request_key("a=1", 0, path);
    assert_true(request_key("a=1", 0, path) == k);
    assert_true(request_key("a=2", 0, path) != k);
    assert_true(request_key("a=1", kInitIgnoreVermagic, path) != k);
    assert_true(request_key("a=1", kInitIgnoreModversions, path) != k);
    // Replaced by another file (a new inode), or rewritten in place.
    s.write("new.ko", "module");
    std::filesystem::rename(s.path() / "new.ko", s.path() / "m.ko");
    const auto replaced = request_key("a=1", 0, path);
    assert_true(replaced != k);
    timespec times[2] = {{0, UTIME_OMIT}, {12345, 0}};
    assert_int_equal(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
    assert_true(request_key("a=1", 0, path) != replaced);
    assert_true(request_key("a=1", 0, s.str() + "/missing.ko") != request_key("a=1", 0, s.str() + "/m.ko"));
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

static void unusable_lock_files_degrade(void**) {
    test::ScratchDir s;
    RuntimeDir dir = open_ok(s.str());
    const auto locks = s.path() / "locks";
    std::filesystem::create_symlink("/etc/passwd", locks / "evil");
    auto l = ModuleLock::acquire(dir, "evil", 0);
    assert_false(l.has_value());
    assert_false(l.error().timed_out);
    assert_true(l.error().reason == Degraded::Symlink);

    assert_int_equal(::mkfifo((locks / "fifo").c_str(), 0644), 0);
    auto f = ModuleLock::acquire(dir, "fifo", 0);
    assert_false(f.has_value());
    assert_true(f.error().reason == Degraded::NotRegular);
    assert_true(f.error().lock_file);
    std::filesystem::create_directory(locks / "dir");
    auto dd = ModuleLock::acquire(dir, "dir", 0);
    assert_false(dd.has_value());
    assert_true(dd.error().reason == Degraded::NotRegular);

    auto b = ModuleLock::acquire(dir, "../x", 0);
    assert_false(b.has_value());
    assert_true(b.error().reason == Degraded::BadName);

    // Files that could fake a record or turn the record's write elsewhere.
    auto untrusted = [&](const char* name) {
        auto u = ModuleLock::acquire(dir, name, 0);
        return !u.has_value() && u.error().reason == Degraded::UntrustedLock;
    };
    const auto victim = s.path() / "victim";
    { std::ofstream(victim) << "precious\n"; }
    assert_int_equal(::link(victim.c_str(), (locks / "linked").c_str()), 0);
    assert_true(untrusted("linked"));
    { std::ofstream(locks / "shared") << ""; }
    assert_int_equal(::chmod((locks / "shared").c_str(), 0666), 0);
    assert_true(untrusted("shared"));
    // Readable by others is enough: flock() needs no more than a read-only
    // descriptor, so whoever can open the file can hold its lock.
    { std::ofstream(locks / "readable") << ""; }
    assert_int_equal(::chmod((locks / "readable").c_str(), 0644), 0);
    assert_true(untrusted("readable"));
    if (::geteuid() == 0) {
        { std::ofstream(locks / "foreign") << ""; }
        assert_int_equal(::chown((locks / "foreign").c_str(), 65534, 65534), 0);
        assert_true(untrusted("foreign"));
    }
    std::ifstream in(victim);
    std::string text;
    std::getline(in, text);
    assert_string_equal(text.c_str(), "precious");
    assert_true(ModuleLock::acquire(dir, "plain", 0).has_value());
    struct stat st;
    assert_int_equal(::stat((locks / "plain").c_str(), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
}

static void settings_follow_the_configuration(void**) {
    Config c;
    c.dedup = false;
    c.runtime_dir = "/tmp/x";
    c.lock_wait_ms = 250;
    c.fail_window_s = 0;
    Settings s = settings_from(c);
    assert_false(s.enabled);
    assert_string_equal(s.runtime_dir.c_str(), "/tmp/x");
    assert_true(s.wait_bound_ms == 250);
    assert_true(s.fail_window_s == 0);
    s = settings_from(Config{});
    assert_true(s.enabled);
    assert_string_equal(s.runtime_dir.c_str(), "/run/kmodx");
    assert_true(s.wait_bound_ms == 120'000);
    assert_true(s.fail_window_s == 60);
}

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
    assert_int_equal(load_once(k, "evdev", 0, [&] { ++loads; return 0; }, r4), 0);
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
        assert_int_equal(load_once(k, "psmouse", 0, [&] { ++loads; return 0; }, r), -EEXIST);
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
        assert_int_equal(load_once(k, "psmouse", 0, [&] { ++loads; return 0; }, r), 0);
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
    assert_int_equal(load_once(k, "psmouse", 0, [&] { ++loads; return 0; }, r), 0);
    assert_int_equal(loads, 1);
    assert_true(r.timed_out);
    assert_false(r.waited_for_kernel);
    assert_false(r.live_past_bound);
    // The same holder, with the module live by the time the bound ends the
    // wait (a holder slow to let go after its load): no load of our own.
    k.states["psmouse"] = ModuleState::Live;
    GuardReport live;
    assert_int_equal(load_once(k, "psmouse", 0, [&] { ++loads; return 0; }, live), -EEXIST);
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
    auto failing = [&] { ++loads; return -ENODEV; };
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
    assert_int_equal(load_once(k, "bad/name", 0, [&] { ++loads; return 0; }, r5), 0);
    assert_int_equal(loads, 3);
    assert_true(r5.degraded == Degraded::BadName);

    // Coming outside kmodx: waited for under the lock, no load once live.
    SettlingKernel sk;
    sk.states["usbcore"] = ModuleState::Coming;
    sk.settle_after = 3;
    sk.settle_to = ModuleState::Live;
    GuardReport r6;
    assert_int_equal(load_once(sk, "usbcore", 0, [&] { ++loads; return 0; }, r6), -EEXIST);
    assert_int_equal(loads, 3);
    assert_true(r6.settled);
    assert_true(r6.by_other);
    assert_int_equal(r6.holder_pid, 0);
    // ... and loaded by us once the outside loader gave up.
    sk.states["usbhid"] = ModuleState::Coming;
    sk.settle_after = 2;
    sk.settle_to = ModuleState::Absent;
    GuardReport r7;
    assert_int_equal(load_once(sk, "usbhid", 0, [&] { ++loads; return 0; }, r7), 0);
    assert_int_equal(loads, 4);
    assert_true(r7.settled);
    assert_false(r7.settle_timed_out);
    run_serialised_runs_commands_under_the_lock();
    waiters_outlast_the_bound_only_for_a_busy_holder(dir);
    ::unsetenv("KMODX_RUNTIME_DIR");
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(lock_names_are_canonical_and_sanitized),
        cmocka_unit_test(record_round_trips),
        cmocka_unit_test(garbage_records_read_as_none),
        cmocka_unit_test(decision_table),
        cmocka_unit_test(runtime_dir_accepts_private_root_dir_and_creates_missing),
        cmocka_unit_test(runtime_dir_degraded_cases),
        cmocka_unit_test(lock_is_reacquired_with_the_previous_record),
        cmocka_unit_test(contended_lock_times_out_then_gets_holders_record),
        cmocka_unit_test(wait_goes_past_the_bound_while_the_caller_says_so),
        cmocka_unit_test(waiters_look_together_and_one_acts),
        cmocka_unit_test(killed_holder_releases_its_lock),
        cmocka_unit_test(bound_holds_with_sigalrm_blocked_or_ignored),
        cmocka_unit_test(request_keys_name_the_file_and_the_flags),
        cmocka_unit_test(unusable_lock_files_degrade),
        cmocka_unit_test(settings_follow_the_configuration),
        cmocka_unit_test(load_once_loads_records_and_reuses),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
