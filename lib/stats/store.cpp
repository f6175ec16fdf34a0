// Appending to a boot's store from hundreds of processes at once, and
// emptying it. The one rule every writer follows: whole records go out in a
// single write() on an O_APPEND descriptor while holding a shared flock. The
// kernel serialises O_APPEND writes to a regular file on local filesystems,
// so records never interleave; the shared lock lets the one writer that must
// compact (or reset) take the file exclusively and swap in a new one, after
// which the others notice (st_nlink == 0) and reopen by name.
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

Result<UniqueFd> open_stats_dir(const StoreSettings& s, bool create) {
    auto dir = store::open_dir(AT_FDCWD, s.runtime_dir + "/stats", false);
    if (dir || !create || dir.error().code != ENOENT) return dir;
    auto runtime = store::open_dir(AT_FDCWD, s.runtime_dir, true);
    if (!runtime) return runtime;
    return store::open_dir(runtime->get(), "stats", true);
}

// The counter first: a store whose events file exists has its counter, made
// while there was still room for it.
Status create_store(int dir, const std::string& boot) {
    if (auto ok = store::create_file(dir, store::dropped_name(boot), counter_text(0)); !ok) return ok;
    return store::create_file(dir, store::events_name(boot),
                              line::encode_header({boot, store::realtime_ns(), 0, 0}));
}

// Counting a record that could not be appended needs no new space: the
// counter is overwritten in place, so this works on a full disk too.
void note_dropped(int dir, const std::string& boot, std::uint64_t n, bool zero = false) {
    auto fd = store::open_file(dir, store::dropped_name(boot), O_RDWR);
    if (!fd || !store::lock_bounded(fd->get(), LOCK_EX)) return;
    char buf[32];
    ssize_t got = ::pread(fd->get(), buf, sizeof buf, 0);
    std::uint64_t v = 0;
    if (got > 0) std::from_chars(buf, buf + got, v);
    std::string text = counter_text(zero ? 0 : v + n);
    if (got >= static_cast<ssize_t>(text.size()) || check_fsize(text.size()))
        (void)!::pwrite(fd->get(), text.data(), text.size(), 0);
}

// The elected compactor, holding `fd` (this boot's file, opened for
// appending) shared: folds old detail into totals and renames the result,
// with `records` at its end, over the file. The expensive part runs while the
// others keep appending; the exclusive lock is held only to copy what they
// appended meanwhile and rename.
enum class Compaction { Done, Replaced, GaveUp };
Result<Compaction> compact_and_append(int dir, const std::string& boot, int fd, std::string_view records,
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
    line::Header h = p.header.value_or(line::Header{boot, store::realtime_ns(), 0, 0});
    h.skipped += p.skipped;  // damaged records cannot be carried over, their count is
    std::string out = line::encode_header(h);
    out.reserve(data->size() / 2 + records.size());
    for (const Event& e : store::compact(p.events, p.sizes, max_bytes / 4)) line::encode_to(out, e, boot);

    // Converting the flock waits for the appends in flight; it is not
    // atomic, so look again. An append that never finishes (a writer
    // stopped mid-write) leaves the file as it is, over the bound.
    if (!store::lock_bounded(fd, LOCK_EX)) return Compaction::GaveUp;
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

Status append_records(int dir, const std::string& boot, std::string_view records, std::uint64_t max_bytes) {
    const std::string name = store::events_name(boot);
    bool may_compact = true;
    for (int attempt = 0; attempt < kMaxReopen; ++attempt) {
        UniqueFd fd(::openat(dir, name.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            if (errno != ENOENT) return failure_errno("open " + name);
            if (auto ok = create_store(dir, boot); !ok) return ok;
            continue;
        }
        if (!store::lock_bounded(fd.get(), LOCK_SH)) return failure_errno("lock " + name);
        struct stat st;
        if (::fstat(fd.get(), &st) != 0) return failure_errno("stat " + name);
        if (st.st_nlink == 0) continue;  // replaced by a compaction or reset: reopen by name
        if (auto ok = store::check(st, name); !ok) return ok;
        auto size = static_cast<std::uint64_t>(st.st_size);
        // One compactor at a time, elected by a non-blocking lock on the
        // directory; everyone else appends past the bound meanwhile (by no
        // more than one compaction's worth of records) instead of queueing
        // for the file: 400 writers waiting in turn for an exclusive lock
        // on a file that is about to be replaced is a convoy.
        if (may_compact && size + records.size() > max_bytes && ::flock(dir, LOCK_EX | LOCK_NB) == 0) {
            struct DirUnlock {
                int fd;
                ~DirUnlock() { ::flock(fd, LOCK_UN); }
            } unlock{dir};
            auto done = compact_and_append(dir, boot, fd.get(), records, max_bytes);
            if (!done) return std::unexpected(done.error());
            if (*done == Compaction::Done) return {};
            // Lock dropped either way: start over, appending plainly if the
            // compaction gave up.
            may_compact = *done == Compaction::Replaced;
            continue;
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

}  // namespace

Store::Store(StoreSettings settings) : settings_(std::move(settings)) {}

Status Store::append(std::span<const Event> events) {
    if (events.empty()) return {};
    const std::string& boot = boot_of(settings_);
    if (!line::valid_boot_id(boot)) return failure(ENOENT, "boot id unknown");
    auto dir = open_stats_dir(settings_, true);
    if (!dir) return std::unexpected(dir.error());
    std::vector<Event> settled(events.begin(), events.end());
    store::settle_claims(dir->get(), boot, settled);
    std::string records;
    records.reserve(events.size() * 192);
    for (const Event& e : settled) line::encode_to(records, e, boot);
    Status ok = append_records(dir->get(), boot, records, settings_.max_bytes);
    if (!ok) note_dropped(dir->get(), boot, events.size());
    return ok;
}

Status Store::reset() {
    const std::string& boot = boot_of(settings_);
    if (!line::valid_boot_id(boot)) return failure(ENOENT, "boot id unknown");
    auto dir = open_stats_dir(settings_, true);
    if (!dir) return std::unexpected(dir.error());
    const std::string name = store::events_name(boot);
    line::Header h{boot, store::realtime_ns(), 0, 0};
    auto old = store::open_file(dir->get(), name, O_RDONLY);
    if (old) {
        // Exclusive: writers in the middle of an append finish first, later
        // ones find the old file unlinked and move to the new one.
        if (!store::lock_bounded(old->get(), LOCK_EX)) return failure_errno("lock " + name);
        char buf[256];
        ssize_t n = ::pread(old->get(), buf, sizeof buf, 0);
        std::string_view head(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        // Keeping the creation time keeps this boot's archive name.
        if (auto prev = line::decode_header(head.substr(0, head.find('\n')))) h.created_ns = prev->created_ns;
    } else if (old.error().code != ENOENT) {
        return std::unexpected(old.error());
    }
    if (auto ok = store::create_file(dir->get(), store::dropped_name(boot), counter_text(0)); !ok) return ok;
    note_dropped(dir->get(), boot, 0, true);
    return store::replace_file(dir->get(), name, line::encode_header(h), false);
}

}  // namespace kmodx::stats
