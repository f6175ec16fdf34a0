// SPDX-License-Identifier: LGPL-2.1-or-later
// The stats store: appends, concurrent writers, torn and damaged records,
// full disks and limits, compaction, the archive, reset and settings.
#include "stats_store_helpers.hpp"

using namespace store_test;

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
        cmocka_unit_test(reset_empties_this_boot),
        cmocka_unit_test(settings_from_environment),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
