// Internals of the stats store shared by store*.cpp: the checked
// filesystem steps, the file names, parsing a store file and compaction.
#pragma once

#include "stats/line.hpp"

#include <kmodx/fd.hpp>
#include <kmodx/stats.hpp>

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::stats::store {

// <boot>.events holds the records, <boot>.dropped the fixed-width count of
// records that could not be appended.
std::string events_name(std::string_view boot_id);
std::string dropped_name(std::string_view boot_id);
// Archived boots: <created_ns, 19 digits>-<boot>.events, so that name order
// is creation order.
std::string archive_name(std::int64_t created_ns, std::string_view boot_id);
struct ArchiveEntry {
    std::string name;
    std::string boot_id;
};
// The archive's boots, newest first; names that are not ours are ignored.
std::vector<ArchiveEntry> list_archive(int boots_dir_fd);

// Opens `name` under `parent` (AT_FDCWD for a path) as a directory without
// following a symlink, creating it 0755 first when `create` and we are root,
// and checks the trust rules (see check()). Failures carry the errno:
// ELOOP for a symlink, EPERM for wrong owner or mode.
Result<UniqueFd> open_dir(int parent, const std::string& name, bool create);
// Regular file (or directory) owned by root - or by us when we are not root -
// and not writable by group or others; a file must have one link.
Status check(const struct stat& st, const std::string& what);
// Opens a store file under dir with O_NOFOLLOW|O_CLOEXEC plus `flags`, checked.
Result<UniqueFd> open_file(int dir, const std::string& name, int flags);

// flock(op) waiting at most kLockWaitMs: a lock holder that is stopped or
// stuck must not hang every modprobe behind it. false with errno ETIMEDOUT
// (or flock's own errno). Note: a failed attempt to convert a lock drops the
// lock already held, as flock(2) conversion does.
inline constexpr int kLockWaitMs = 1000;
bool lock_bounded(int fd, int op);

Result<std::string> read_all(int fd, std::uint64_t from = 0);
// Writes `data` to a fresh temporary file in dir and renames it onto name,
// so a reader sees either the old file or the whole new one.
Status replace_file(int dir, const std::string& name, std::string_view data, bool durable);
// Creates name with `data` unless it exists (then success, untouched); the
// content is complete before the name appears.
Status create_file(int dir, const std::string& name, std::string_view data);

// A whole store file taken apart.
struct Parsed {
    std::optional<line::Header> header;
    std::vector<Event> events;
    std::vector<std::uint32_t> sizes;  // each event's line length, for compaction
    std::uint64_t skipped = 0;
    bool torn_tail = false;
    std::size_t header_len = 0;        // bytes of the header line, 0 without one
};
Parsed parse(std::string_view data);

// Folds all but the newest detail (at most `detail_budget` bytes of it) into
// totals per module, tool, requester, outcome, err (and format, path, taint,
// degradation, boot): counts and costs summed, the earliest time kept.
std::vector<Event> compact(const std::vector<Event>& events, const std::vector<std::uint32_t>& sizes,
                           std::uint64_t detail_budget);

std::uint64_t read_dropped(int stats_dir, std::string_view boot_id);

// Claims each `loaded` event's module instance in <boot>.formed/ under
// stats_dir; an event whose instance was claimed already becomes
// `merged_in_kernel`. `removed` events drop their module's claims. Any
// failure leaves the events as they are.
void settle_claims(int stats_dir, std::string_view boot, std::vector<Event>& events);
std::int64_t realtime_ns();

}  // namespace kmodx::stats::store
