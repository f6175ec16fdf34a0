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

using namespace kmodx;
using namespace kmodx::stats;
namespace fs = std::filesystem;

namespace {

constexpr const char* kBoot = "11111111-2222-3333-4444-555555555555";

StoreSettings settings_in(const test::ScratchDir& dir, std::uint64_t max_bytes = 64u << 20) {
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

std::string events_path(const StoreSettings& s) { return s.runtime_dir + "/stats/" + s.boot_id + ".events"; }

Event event(const std::string& module, int seq, Outcome o = Outcome::Loaded) {
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

Status append_one(Store& st, const Event& e) { return st.append(std::span<const Event>(&e, 1)); }

// Runs f in a child; the child's exit code (128+signal when killed).
template <class F>
int in_child(F f) {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(f());
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Mount namespaces, tmpfs and setuid need root; elsewhere those tests skip.
constexpr int kNoMounts = 77;
bool need_root() {
    if (::geteuid() == 0) return true;
    skip();
    return false;
}

void append_raw(const std::string& path, const std::string& bytes) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
}

std::uint64_t total_count(const BootEvents& b) {
    std::uint64_t n = 0;
    for (const Event& e : b.events) n += e.count;
    return n;
}

// N processes released together, each appending `per` records one by one.
void storm(const StoreSettings& s, int writers, int per, std::vector<pid_t>& pids) {
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

}  // namespace

static void append_then_read_back(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir);
    Store st(s);
    std::vector<Event> batch{event("a", 1), event("b", 2), event("c", 3)};
    assert_true(st.append(batch).has_value());
    auto got = st.read(0);
    assert_true(got.has_value());
    assert_string_equal(got->boot_id.c_str(), kBoot);
    assert_int_equal(got->events.size(), 3);
    assert_string_equal(got->events[2].module.c_str(), "c");
    assert_string_equal(got->events[0].boot_id.c_str(), kBoot);  // filled in by the store
    assert_int_equal(got->skipped, 0);
    assert_false(got->torn_tail);
    assert_true(got->created_ns > 0);
    struct stat st_dir, st_file;
    assert_int_equal(::stat((s.runtime_dir + "/stats").c_str(), &st_dir), 0);
    assert_int_equal(::stat(events_path(s).c_str(), &st_file), 0);
    assert_int_equal(st_dir.st_mode & 07777, 0755);
    assert_int_equal(st_file.st_mode & 07777, 0644);
    // A store of another boot is not this boot's.
    auto other = s;
    other.boot_id = "99999999-2222-3333-4444-555555555555";
    auto none = Store(other).read(0);
    assert_true(none.has_value());
    assert_int_equal(none->events.size(), 0);
}

static void five_hundred_writers_lose_nothing(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir);
    std::vector<pid_t> pids;
    storm(s, 500, 20, pids);
    auto got = Store(s).read(0);
    assert_true(got.has_value());
    assert_int_equal(got->events.size(), 10000);
    assert_int_equal(got->skipped, 0);
    assert_false(got->torn_tail);
    std::set<std::pair<pid_t, pid_t>> seen;
    for (const Event& e : got->events) seen.insert({e.pid, e.holder_pid});
    assert_int_equal(seen.size(), 10000);
    std::set<pid_t> writers(pids.begin(), pids.end());
    for (const auto& [pid, seq] : seen) assert_true(writers.count(pid) == 1 && seq >= 0 && seq < 20);
}

static void writer_killed_mid_record(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir);
    Store st(s);
    for (int i = 0; i < 5; ++i) assert_true(append_one(st, event("before", i)).has_value());
    // A writer that gets half a record out and is killed before the rest.
    std::string rec = encode(event("victim", 99));
    std::string path = events_path(s);
    int rc = in_child([&] {
        int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
        (void)!::write(fd, rec.data(), rec.size() / 2);
        ::raise(SIGKILL);
        (void)!::write(fd, rec.data() + rec.size() / 2, rec.size() - rec.size() / 2);
        return 0;
    });
    assert_int_equal(rc, 128 + SIGKILL);
    auto got = st.read(0);
    assert_true(got.has_value());
    assert_int_equal(got->events.size(), 5);
    assert_true(got->torn_tail);
    assert_int_equal(got->skipped, 1);
    // Later writers go on; the record glued to the torn one is recovered.
    for (int i = 0; i < 3; ++i) assert_true(append_one(st, event("after", i)).has_value());
    got = st.read(0);
    assert_int_equal(got->events.size(), 8);
    assert_false(got->torn_tail);
    assert_int_equal(got->skipped, 1);
    assert_string_equal(got->events[5].module.c_str(), "after");
    for (const Event& e : got->events) assert_true(e.module != "victim");
}

static void corrupted_file_is_skipped_and_counted(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir);
    Store st(s);
    for (int i = 0; i < 10; ++i) assert_true(append_one(st, event("m", i)).has_value());
    std::string path = events_path(s);
    // Flip a byte inside the fourth record, then add garbage lines.
    {
        auto content = [&] {
            std::ifstream in(path, std::ios::binary);
            return std::string(std::istreambuf_iterator<char>(in), {});
        }();
        std::size_t pos = 0;
        for (int line = 0; line < 4; ++line) pos = content.find('\n', pos) + 1;
        content[pos + 30] ^= 0x20;
        std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    }
    append_raw(path, "hello world\n");
    append_raw(path, std::string("\x00\xff\x01k1\tjunk\n", 12));
    append_raw(path, "k1\t" + std::string(300, 'z') + "\n");
    // A long damaged line full of false starts is skipped as one.
    std::string junk;
    while (junk.size() < (1u << 20)) junk += "k1\tk1\t";
    append_raw(path, junk + "\n");
    auto got = st.read(0);
    assert_true(got.has_value());
    assert_int_equal(got->events.size(), 9);
    assert_int_equal(got->skipped, 5);
    assert_false(got->torn_tail);
    for (const Event& e : got->events) assert_true(e.holder_pid != 3);
    // Appending goes on after the damage and the damage stays counted.
    assert_true(append_one(st, event("m", 10)).has_value());
    got = st.read(0);
    assert_int_equal(got->events.size(), 10);
    assert_int_equal(got->skipped, 5);
}

static void full_disk_fails_cleanly(void**) {
    if (!need_root()) return;
    test::ScratchDir dir;
    auto s = settings_in(dir);
    fs::create_directories(s.runtime_dir);
    // A private mount namespace: the tiny tmpfs vanishes with the child.
    int rc = in_child([&] {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return kNoMounts;
        if (::mount("tmpfs", s.runtime_dir.c_str(), "tmpfs", 0, "size=64k,mode=0755") != 0) return kNoMounts;
        Store st(s);
        int ok = 0;
        Status last;
        for (int i = 0; i < 5000 && last; ++i) {
            last = append_one(st, event("fill", i));
            ok += last.has_value();
        }
        if (last || last.error().code != ENOSPC) return 12;
        if (ok < 50) return 13;
        for (int i = 0; i < 3; ++i)
            if (append_one(st, event("more", i))) return 14;
        auto got = st.read(0);
        if (!got || got->events.size() != static_cast<std::size_t>(ok)) return 15;
        // The failed append may have left one torn record; nothing else.
        if (got->skipped > 1) return 16;
        if (got->dropped != 4) return 17;  // the failed fill plus three more
        return 0;
    });
    if (rc == kNoMounts) skip();
    assert_int_equal(rc, 0);
}

static void file_size_limit_fails_cleanly(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir);
    Store st(s);
    for (int i = 0; i < 5; ++i) assert_true(append_one(st, event("m", i)).has_value());
    struct stat before;
    assert_int_equal(::stat(events_path(s).c_str(), &before), 0);
    // SIGXFSZ left at its default: writing past the limit would kill the child.
    int rc = in_child([&] {
        rlimit r{static_cast<rlim_t>(before.st_size + 50), static_cast<rlim_t>(before.st_size + 50)};
        if (::setrlimit(RLIMIT_FSIZE, &r) != 0) return 10;
        auto res = append_one(st, event("big", 9));
        return !res && res.error().code == EFBIG ? 0 : 11;
    });
    assert_int_equal(rc, 0);
    auto got = st.read(0);
    assert_true(got.has_value());
    assert_int_equal(got->events.size(), 5);
    assert_int_equal(got->skipped, 0);
    assert_int_equal(got->dropped, 1);
    // The archived copy carries the dropped count in its own header.
    assert_true(st.archive().has_value());
    auto next_boot = s;
    next_boot.boot_id = "22222222-2222-3333-4444-555555555555";
    auto prev = Store(next_boot).read(-1);
    assert_true(prev.has_value());
    assert_string_equal(prev->boot_id.c_str(), kBoot);
    assert_int_equal(prev->events.size(), 5);
    assert_int_equal(prev->dropped, 1);
}

static void read_only_store_and_non_root(void**) {
    if (!need_root()) return;
    test::ScratchDir dir;
    ::chmod(dir.str().c_str(), 0755);
    auto s = settings_in(dir);
    Store st(s);
    for (int i = 0; i < 4; ++i) assert_true(append_one(st, event("m", i)).has_value());
    int rc = in_child([&] {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return kNoMounts;
        if (::mount(s.runtime_dir.c_str(), s.runtime_dir.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
            ::mount(nullptr, s.runtime_dir.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0)
            return 11;
        Store ro(s);
        auto res = append_one(ro, event("m", 4));
        if (res || res.error().code != EROFS) return 12;
        if (ro.reset()) return 13;
        auto got = ro.read(0);
        return got && got->events.size() == 4 ? 0 : 14;
    });
    if (rc == kNoMounts) skip();
    assert_int_equal(rc, 0);
    rc = in_child([&] {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 10;
        Store user(s);
        auto res = append_one(user, event("m", 4));
        if (res || res.error().code != EACCES) return 11;
        auto got = user.read(0);
        return got && got->events.size() == 4 ? 0 : 12;
    });
    assert_int_equal(rc, 0);
    assert_int_equal(st.read(0)->events.size(), 4);
}

static void compaction_keeps_exact_totals_under_writers(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir, 8192);
    std::vector<pid_t> pids;
    storm(s, 40, 50, pids);
    auto got = Store(s).read(0);
    assert_true(got.has_value());
    assert_int_equal(got->skipped, 0);
    assert_int_equal(total_count(*got), 2000);
    std::map<std::string, std::uint64_t> per_module, bytes;
    bool folded = false;
    for (const Event& e : got->events) {
        per_module[e.module] += e.count;
        bytes[e.module] += e.file_bytes;
        folded |= e.count > 1;
        assert_true(e.syscall_ns == 7 * e.count);
    }
    assert_true(folded);
    assert_int_equal(per_module.size(), 5);
    for (const auto& [m, n] : per_module) {
        assert_int_equal(n, 400);
        assert_int_equal(bytes[m], 400 * 100);
    }
    // Writers append past the bound while a compaction runs, each by one
    // record at most.
    struct stat st;
    assert_int_equal(::stat(events_path(s).c_str(), &st), 0);
    assert_true(static_cast<std::uint64_t>(st.st_size) <= s.max_bytes + 40 * 256);
}

static void size_stays_bounded_for_one_writer(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir, 4096);
    Store st(s);
    std::uint64_t loaded = 0;
    for (int i = 0; i < 1500; ++i) {
        Outcome o = i % 3 ? Outcome::Loaded : Outcome::Suppressed;
        loaded += o == Outcome::Loaded;
        assert_true(append_one(st, event("m" + std::to_string(i % 4), i, o)).has_value());
        struct stat sb;
        assert_int_equal(::stat(events_path(s).c_str(), &sb), 0);
        assert_true(static_cast<std::uint64_t>(sb.st_size) <= s.max_bytes);
    }
    auto got = st.read(0);
    assert_int_equal(total_count(*got), 1500);
    std::uint64_t got_loaded = 0;
    for (const Event& e : got->events) got_loaded += e.outcome == Outcome::Loaded ? e.count : 0;
    assert_int_equal(got_loaded, loaded);
    // The newest events keep their detail.
    assert_int_equal(got->events.back().holder_pid, 1499);
    assert_int_equal(got->events.back().count, 1);
}

static void archive_keeps_ten_boots(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir);
    std::vector<std::string> boots;
    // Leftovers of an archiver that died before its rename, and one of a
    // live process (us) that must stay.
    const std::string dead_tmp = s.state_dir + "/boots/.tmp.2147483646.0";
    const std::string live_tmp = s.state_dir + "/boots/.tmp." + std::to_string(::getpid()) + ".77";
    for (int i = 0; i < 13; ++i) {
        if (i == 1) {
            dir.write("state/boots/.tmp.2147483646.0", "half");
            dir.write("state/boots/.tmp." + std::to_string(::getpid()) + ".77", "busy");
        }
        char id[40];
        std::snprintf(id, sizeof id, "%08d-2222-3333-4444-555555555555", i);
        boots.push_back(id);
        s.boot_id = id;
        Store st(s);
        assert_true(append_one(st, event("boot" + std::to_string(i), i)).has_value());
        assert_true(st.archive().has_value());
        assert_true(st.archive().has_value());  // again: still one copy of this boot
    }
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(s.state_dir + "/boots")) files += e.path().extension() == ".events";
    assert_int_equal(files, 11);  // this boot and the ten before it
    assert_false(fs::exists(dead_tmp));
    assert_true(fs::exists(live_tmp));
    Store st(s);
    for (int back = 1; back <= 10; ++back) {
        auto got = st.read(-back);
        assert_true(got.has_value());
        assert_string_equal(got->boot_id.c_str(), boots[12 - back].c_str());
        assert_int_equal(got->events.size(), 1);
        assert_string_equal(got->events[0].module.c_str(), ("boot" + std::to_string(12 - back)).c_str());
    }
    auto too_far = st.read(-11);
    assert_false(too_far.has_value());
    assert_int_equal(too_far.error().code, ENOENT);
    assert_false(st.read(1).has_value());
    // Stale runtime files of the other boots were moved to the archive.
    std::size_t runtime_files = 0;
    for (const auto& e : fs::directory_iterator(s.runtime_dir + "/stats"))
        runtime_files += e.path().extension() == ".events";
    assert_int_equal(runtime_files, 1);
}

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
    assert_true(append_one(st, loaded("a", 7)).has_value());   // merged into the first
    assert_true(append_one(st, loaded("a", 0)).has_value());   // instance unknown: a load
    assert_true(append_one(st, loaded("b", 7)).has_value());   // another module
    assert_true(append_one(st, event("a", 2, Outcome::Removed)).has_value());
    assert_true(append_one(st, loaded("a", 7)).has_value());   // loaded again after the removal
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

static void reset_empties_this_boot(void**) {
    test::ScratchDir dir;
    auto s = settings_in(dir);
    Store st(s);
    for (int i = 0; i < 5; ++i) assert_true(append_one(st, event("m", i)).has_value());
    auto before = st.read(0);
    assert_true(st.reset().has_value());
    auto got = st.read(0);
    assert_int_equal(got->events.size(), 0);
    assert_int_equal(got->created_ns, before->created_ns);
    assert_true(append_one(st, event("m", 9)).has_value());
    assert_int_equal(st.read(0)->events.size(), 1);
}

static void settings_from_environment(void**) {
    ::setenv("KMODX_RUNTIME_DIR", "/tmp/rt", 1);
    ::setenv("KMODX_STATE_DIR", "/tmp/state", 1);
    ::setenv("KMODX_STATS_MAX_BYTES", "12345", 1);
    ::setenv("KMODX_STATS_KEEP_BOOTS", "3", 1);
    auto s = store_settings_from_env();
    assert_string_equal(s.runtime_dir.c_str(), "/tmp/rt");
    assert_string_equal(s.state_dir.c_str(), "/tmp/state");
    assert_int_equal(s.max_bytes, 12345);
    assert_int_equal(s.keep_boots, 3);
    ::setenv("KMODX_STATS_MAX_BYTES", "-5", 1);
    ::setenv("KMODX_STATS_KEEP_BOOTS", "x", 1);
    s = store_settings_from_env();
    assert_int_equal(s.max_bytes, StoreSettings{}.max_bytes);
    assert_int_equal(s.keep_boots, 10);
    for (const char* v : {"KMODX_RUNTIME_DIR", "KMODX_STATE_DIR", "KMODX_STATS_MAX_BYTES", "KMODX_STATS_KEEP_BOOTS"})
        ::unsetenv(v);
    assert_string_equal(store_settings_from_env().runtime_dir.c_str(), "/run/kmodx");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(append_then_read_back),
        cmocka_unit_test(five_hundred_writers_lose_nothing),
        cmocka_unit_test(writer_killed_mid_record),
        cmocka_unit_test(corrupted_file_is_skipped_and_counted),
        cmocka_unit_test(full_disk_fails_cleanly),
        cmocka_unit_test(file_size_limit_fails_cleanly),
        cmocka_unit_test(read_only_store_and_non_root),
        cmocka_unit_test(compaction_keeps_exact_totals_under_writers),
        cmocka_unit_test(size_stays_bounded_for_one_writer),
        cmocka_unit_test(archive_keeps_ten_boots),
        cmocka_unit_test(unsafe_store_is_refused),
        cmocka_unit_test(stuck_lock_holder_does_not_hang_writers),
        cmocka_unit_test(other_users_flocks_do_not_reach_the_store),
        cmocka_unit_test(locks_directory_open_to_others_is_refused),
        cmocka_unit_test(symlinked_runtime_dir_is_refused),
        cmocka_unit_test(second_claim_of_an_instance_is_merged),
        cmocka_unit_test(claims_that_cannot_be_made_leave_loads_alone),
        cmocka_unit_test(reset_empties_this_boot),
        cmocka_unit_test(settings_from_environment),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
