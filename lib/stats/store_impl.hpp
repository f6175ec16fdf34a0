// SPDX-License-Identifier: LGPL-2.1-or-later
// Internals of the stats store shared by store*.cpp: the checked
// filesystem steps, the file names, the lock files, parsing a store file and
// compaction.
#pragma once

#include "stats/event.hpp"

#include <kmodx/clock.hpp>
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

// Opens `path` under `parent` (AT_FDCWD for an absolute path) as a
// directory without following a symlink in its last component (trailing
// slashes dropped, as they would make it followed), creating it first when
// `create` and we are root, and checks the trust rules (see check()). A
// Private directory is made 0700 and refused when it has any group or other
// bit. Messages name it `shown` (or `path`). Failures carry the errno: ELOOP
// for a symlink, EPERM for wrong owner or mode.
enum class Access { Shared, Private };
Result<UniqueFd> open_dir(int parent, const std::string& path, bool create, const std::string& shown = {},
                          Access access = Access::Shared);
// Regular file (or directory) owned by root - or by us when we are not root -
// and not writable by group or others; a file must have one link.
Status check(const struct stat& st, const std::string& what);
// Opens a store file under dir with O_NOFOLLOW|O_CLOEXEC plus `flags`, checked.
Result<UniqueFd> open_file(int dir, const std::string& name, int flags);

// <runtime_dir>/stats, for messages.
std::string stats_path(std::string_view runtime_dir);
// The runtime directory (its last component not followed, checked), then
// "stats" relative to it, checked: no component below the runtime directory
// is ever resolved by path, so a symlink there leads nowhere.
Result<UniqueFd> open_stats_dir(std::string_view runtime_dir, bool create);

// Locks. Every flock the store takes is on a file in <stats>/locks, a
// Private directory: anyone can open the events files and the stats
// directory for reading, and a read-only descriptor is enough to flock, so
// a lock on them could be held by any user to stall root's appends or stop
// compaction. The lock files, named after what they guard:
//   <boot>.events   appenders shared; compaction, reset, archive and a reader
//                   waiting out a torn tail exclusive
//   <boot>.dropped  the dropped counter's read-modify-write
//   <boot>.compact  elects the one compactor (LOCK_NB)
// A process that cannot open the directory (anyone but root, for root's
// store) reads without locks; it cannot append anyway. `stats_shown` names
// the stats directory in messages.
Result<UniqueFd> open_locks_dir(int stats_dir, const std::string& stats_shown, bool create);
// Opens (creating it 0600) lock file `name` in the locks directory.
Result<UniqueFd> open_lock(int locks_dir, const std::string& name);
std::string compact_lock_name(std::string_view boot_id);

// flock(op) waiting at most kLockWaitMs, asleep in the kernel
// (core/bounded_flock.hpp): a lock holder that is stopped or stuck must not
// hang every modprobe behind it. false with errno ETIMEDOUT (or flock's own
// errno). Note: a failed attempt to convert a lock drops the
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
    std::size_t header_len = 0;  // bytes of the header line, 0 without one
};
Parsed parse(std::string_view data);

// Folds all but the newest detail (at most `detail_budget` bytes of it) into
// totals per module, tool, requester, outcome, err (and format, path, taint,
// degradation, boot): counts and costs summed, the earliest time kept.
std::vector<Event> compact(const std::vector<Event>& events, const std::vector<std::uint32_t>& sizes,
                           std::uint64_t detail_budget);

// The dropped counter; under its lock when `locks_dir` is one (>= 0),
// otherwise read until two reads agree (it is rewritten in place).
std::uint64_t read_dropped(int stats_dir, int locks_dir, std::string_view boot_id);

// Claims each `loaded` event's module instance in <boot>.formed/ under
// stats_dir; an event whose instance was claimed already becomes
// `merged_in_kernel`. `removed` events drop their module's claims. Any
// failure leaves the events as they are.
void settle_claims(int stats_dir, std::string_view boot, std::vector<Event>& events);

}  // namespace kmodx::stats::store
