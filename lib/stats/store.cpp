// SPDX-License-Identifier: LGPL-2.1-or-later
// Appending to a boot's store from hundreds of processes at once, and
// emptying it. The one rule every writer follows: whole records go out in a
// single write() on an O_APPEND descriptor while holding the boot's events
// lock shared. The kernel serialises O_APPEND writes to a regular file on
// local filesystems, so records never interleave; the shared lock lets the
// one writer that must compact (or reset) take the lock exclusively and swap
// in a new file. The lock is a file of its own in the private locks
// directory (store_impl.hpp), never the events file, which every user can
// open and so flock. Writers open the events file by name only once they
// hold the lock, so the file they write to is the current one.
#include "stats/store_impl.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>

namespace kmodx::stats {
namespace {

// Each retry means some other writer replaced the file (compaction or a
// reset) in between: finite, as each of those is a completed step.
constexpr int kMaxReopen = 64;

const std::string& boot_of(const StoreSettings& s) { return s.boot_id.empty() ? current_boot_id() : s.boot_id; }

std::string counter_text(std::uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%020llu\n", static_cast<unsigned long long>(v));
    return buf;
}

// Writing past RLIMIT_FSIZE would not fail but kill us with SIGXFSZ, after
// the module load already happened: refuse instead.
Status check_fsize(std::uint64_t end) {
    rlimit r{};
    if (::getrlimit(RLIMIT_FSIZE, &r) == 0 && r.rlim_cur != RLIM_INFINITY && end > r.rlim_cur)
        return failure(EFBIG, "stats store would pass the file size limit");
    return {};
}

// The counter first: a store whose events file exists has its counter, made
// while there was still room for it; its lock file likewise.
Status create_store(int dir, int locks, const std::string& boot) {
    if (auto ok = store::create_file(dir, store::dropped_name(boot), counter_text(0)); !ok) return ok;
    (void)store::open_lock(locks, store::dropped_name(boot));
    return store::create_file(dir, store::events_name(boot), line::encode_header({boot, realtime_ns(), 0, 0}));
}

// Counting a record that could not be appended needs no new space: the
// counter is overwritten in place, so this works on a full disk too.
void note_dropped(int dir, int locks, const std::string& boot, std::uint64_t n, bool zero = false) {
    auto lock = store::open_lock(locks, store::dropped_name(boot));
    if (!lock || !store::lock_bounded(lock->get(), LOCK_EX)) return;
    auto fd = store::open_file(dir, store::dropped_name(boot), O_RDWR);
    if (!fd) return;
    char buf[32];
    ssize_t got = ::pread(fd->get(), buf, sizeof buf, 0);
    std::uint64_t v = 0;
    if (got > 0) std::from_chars(buf, buf + got, v);
    std::string text = counter_text(zero ? 0 : v + n);
    if (got >= static_cast<ssize_t>(text.size()) || check_fsize(text.size()))
        (void)!::pwrite(fd->get(), text.data(), text.size(), 0);
}

// The elected compactor, holding `lock` (the events lock) shared and `fd`
// (this boot's file, opened for appending): folds old detail into totals and
// renames the result, with `records` at its end, over the file. The expensive
// part runs while the others keep appending; the exclusive lock is held only
// to copy what they appended meanwhile and rename.
enum class Compaction { Done, Replaced, GaveUp };
Result<Compaction> compact_and_append(int dir, const std::string& boot, int fd, int lock, std::string_view records,
                                      std::uint64_t max_bytes) {
    const std::string name = store::events_name(boot);
    struct stat locked, st;
    auto rfd = store::open_file(dir, name, O_RDONLY);
    if (!rfd) return std::unexpected(rfd.error());
    if (::fstat(fd, &locked) != 0 || ::fstat(rfd->get(), &st) != 0) return failure_errno("stat " + name);
    if (st.st_ino != locked.st_ino || st.st_dev != locked.st_dev) return Compaction::Replaced;
    auto data = store::read_all(rfd->get());
    if (!data) return std::unexpected(data.error());
    // A record still being written stays for the copy below.
    data->resize(data->rfind('\n') + 1);
    store::Parsed p = store::parse(*data);
    line::Header h = p.header.value_or(line::Header{boot, realtime_ns(), 0, 0});
    h.skipped += p.skipped;  // damaged records cannot be carried over, their count is
    std::string out = line::encode_header(h);
    out.reserve(data->size() / 2 + records.size());
    for (const Event& e : store::compact(p.events, p.sizes, max_bytes / 4)) line::encode_to(out, e, boot);

    // Converting the flock waits for the appends in flight; it is not
    // atomic (a reset may replace the file in between), so look again. An
    // append that never finishes (a writer stopped mid-write) leaves the
    // file as it is, over the bound.
    if (!store::lock_bounded(lock, LOCK_EX)) return Compaction::GaveUp;
    if (::fstat(fd, &st) != 0) return failure_errno("stat " + name);
    if (st.st_nlink == 0) return Compaction::Replaced;
    auto rest = store::read_all(rfd->get(), data->size());
    if (!rest) return std::unexpected(rest.error());
    out += *rest;
    out += records;
    if (auto ok = check_fsize(out.size()); !ok) return std::unexpected(ok.error());
    if (auto ok = store::replace_file(dir, name, out, false); !ok) return std::unexpected(ok.error());
    return Compaction::Done;
}

Status append_records(int dir, int locks, const std::string& boot, std::string_view records, std::uint64_t max_bytes) {
    const std::string name = store::events_name(boot);
    auto lock = store::open_lock(locks, name);
    if (!lock) return std::unexpected(lock.error());
    bool held = false;
    bool may_compact = true;
    for (int attempt = 0; attempt < kMaxReopen; ++attempt) {
        if (!held && !store::lock_bounded(lock->get(), LOCK_SH)) return failure_errno("lock " + name);
        held = true;
        UniqueFd fd(::openat(dir, name.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            if (errno != ENOENT) return failure_errno("open " + name);
            if (auto ok = create_store(dir, locks, boot); !ok) return ok;
            continue;
        }
        struct stat st;
        if (::fstat(fd.get(), &st) != 0) return failure_errno("stat " + name);
        // Nobody who takes the lock replaces the file while we hold it; one
        // that does not (a kmodx from before the lock files, still running
        // across an upgrade) shows here as an unlinked file: reopen by name.
        if (st.st_nlink == 0) continue;
        if (auto ok = store::check(st, name); !ok) return ok;
        auto size = static_cast<std::uint64_t>(st.st_size);
        // One compactor at a time, elected by a non-blocking lock; everyone
        // else appends past the bound meanwhile (by no more than one
        // compaction's worth of records) instead of queueing: 400 writers
        // waiting in turn for an exclusive lock on a file that is about to
        // be replaced is a convoy.
        if (may_compact && size + records.size() > max_bytes) {
            auto elected = store::open_lock(locks, store::compact_lock_name(boot));
            if (elected && ::flock(elected->get(), LOCK_EX | LOCK_NB) == 0) {
                auto done = compact_and_append(dir, boot, fd.get(), lock->get(), records, max_bytes);
                if (!done) return std::unexpected(done.error());
                if (*done == Compaction::Done) return {};
                // The events lock is gone (a failed conversion drops it) or
                // exclusive: start over shared, appending plainly if the
                // compaction gave up.
                ::flock(lock->get(), LOCK_UN);
                held = false;
                may_compact = *done == Compaction::Replaced;
                continue;
            }
        }
        if (auto ok = check_fsize(size + records.size()); !ok) return ok;
        ssize_t n = ::write(fd.get(), records.data(), records.size());
        if (n == static_cast<ssize_t>(records.size())) return {};
        // A short write leaves a torn record that readers skip and count;
        // the whole batch is reported as not written.
        if (n < 0) return failure_errno("write " + name);
        return failure(ENOSPC, "short write to " + name);
    }
    return failure(EAGAIN, name + " kept being replaced");
}

// The stats directory and its private locks directory, created when
// missing: what every writer opens first.
struct WritableStore {
    UniqueFd dir, locks;
};
Result<WritableStore> open_for_writing(const std::string& runtime_dir) {
    auto dir = store::open_stats_dir(runtime_dir, true);
    if (!dir) return std::unexpected(dir.error());
    auto locks = store::open_locks_dir(dir->get(), store::stats_path(runtime_dir), true);
    if (!locks) return std::unexpected(locks.error());
    return WritableStore{std::move(*dir), std::move(*locks)};
}

}  // namespace

Store::Store(StoreSettings settings) : settings_(std::move(settings)) {}

Status Store::append(std::span<const Event> events) {
    if (events.empty()) return {};
    const std::string& boot = boot_of(settings_);
    if (!line::valid_boot_id(boot)) return failure(ENOENT, "boot id unknown");
    auto st = open_for_writing(settings_.runtime_dir);
    if (!st) return std::unexpected(st.error());
    const int dir = st->dir.get(), locks = st->locks.get();
    std::vector<Event> settled(events.begin(), events.end());
    store::settle_claims(dir, boot, settled);
    std::string records;
    records.reserve(events.size() * 192);
    for (const Event& e : settled) line::encode_to(records, e, boot);
    Status ok = append_records(dir, locks, boot, records, settings_.max_bytes);
    if (!ok) note_dropped(dir, locks, boot, events.size());
    return ok;
}

Status Store::reset() {
    const std::string& boot = boot_of(settings_);
    if (!line::valid_boot_id(boot)) return failure(ENOENT, "boot id unknown");
    auto st = open_for_writing(settings_.runtime_dir);
    if (!st) return std::unexpected(st.error());
    const int dir = st->dir.get(), locks = st->locks.get();
    const std::string name = store::events_name(boot);
    auto lock = store::open_lock(locks, name);
    if (!lock) return std::unexpected(lock.error());
    // Exclusive: writers in the middle of an append finish first, later
    // ones open the new file.
    if (!store::lock_bounded(lock->get(), LOCK_EX)) return failure_errno("lock " + name);
    line::Header h{boot, realtime_ns(), 0, 0};
    auto old = store::open_file(dir, name, O_RDONLY);
    if (old) {
        char buf[256];
        ssize_t n = ::pread(old->get(), buf, sizeof buf, 0);
        std::string_view head(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        // Keeping the creation time keeps this boot's archive name.
        if (auto prev = line::decode_header(head.substr(0, head.find('\n')))) h.created_ns = prev->created_ns;
    } else if (old.error().code != ENOENT) {
        return std::unexpected(old.error());
    }
    if (auto ok = store::create_file(dir, store::dropped_name(boot), counter_text(0)); !ok) return ok;
    note_dropped(dir, locks, boot, 0, true);
    return store::replace_file(dir, name, line::encode_header(h), false);
}

}  // namespace kmodx::stats
