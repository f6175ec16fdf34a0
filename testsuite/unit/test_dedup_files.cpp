// SPDX-License-Identifier: LGPL-2.1-or-later
// One load per module, what the locks rest on: lock file names, the records
// holders leave, the decision they feed, the runtime directory and the lock
// files it refuses, and the settings.
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
    assert_true(parse_record(good.substr(0, end)).has_value());       // unpadded, as written before
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
        return d ? static_cast<Degraded>(-1) : d.error().reason;
    };
    // At which level: the directory itself, or its locks/.
    auto in_locks = [](const std::string& p) {
        auto d = RuntimeDir::open(p);
        assert_false(d.has_value());
        return d.error().locks_dir;
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
    for (const char* d : {"/no/parent", "/link", "/open", "/group", "/file", "/nobody"})
        assert_false(in_locks(s.str() + d));

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
    for (const char* d : {"/readable", "/plainfile", "/foreign", "/linked"}) assert_true(in_locks(s.str() + d));
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

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(lock_names_are_canonical_and_sanitized),
        cmocka_unit_test(record_round_trips),
        cmocka_unit_test(garbage_records_read_as_none),
        cmocka_unit_test(decision_table),
        cmocka_unit_test(runtime_dir_accepts_private_root_dir_and_creates_missing),
        cmocka_unit_test(runtime_dir_degraded_cases),
        cmocka_unit_test(request_keys_name_the_file_and_the_flags),
        cmocka_unit_test(unusable_lock_files_degrade),
        cmocka_unit_test(settings_follow_the_configuration),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
