// SPDX-License-Identifier: LGPL-2.1-or-later
// The stats store (docs/stats.md). Every kmodx invocation appends one Event per
// module action to a per-boot store in the runtime directory; `modprobe
// --stats` reads the events back and reports them. Three parts, one file each
// under lib/stats/:
//   event  - the Event record, its one-line text encoding and its checksum
//   store  - where events live (per boot, archived boots), appending from
//            hundreds of processes at once, reading back, compaction, reset
//   report - the kernel's debugfs format and kmodx's own sections, JSON,
//            Prometheus
// plus requester.cpp (who asked) and costs.cpp (what the kernel would have
// spent, by its own byte rules).
//
// Recording never decides anything: when the store cannot be written, the
// load has already happened and the event is dropped (and counted as such
// where it can be).
#pragma once

#include <kmodx/compression.hpp>
#include <kmodx/config.hpp>
#include <kmodx/result.hpp>

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::stats {

// What happened to one module in one invocation.
enum class Outcome : std::uint8_t {
    Loaded,             // this process's load syscall succeeded
    AlreadyLive,        // live before we asked: no syscall
    Suppressed,         // another process loaded it while we waited: no syscall
    SuppressedFailure,  // another process's recent failure reused: no syscall
    FailedRead,         // could not open/read the file
    FailedDecompress,   // userspace decompression failed
    FailedKernel,       // the load syscall failed with `err` (not EEXIST/EBUSY)
    DuplicateInKernel,  // the syscall reached the kernel and got EEXIST/EBUSY
    Removed,            // unloaded by rmmod / modprobe -r
    FailedRemove,       // delete_module failed with `err`
    Blacklisted,        // not loaded because of a blacklist (modprobe -b)
    // The load syscall returned 0, but the module it found had already been
    // formed by a concurrent finit_module() of the same file that the kernel
    // merged this call into (6.5+ idempotent_init_module()): nothing was read
    // or allocated for it, and the kernel counts no load. Decided by the
    // store when a second `loaded` claims the same module instance.
    MergedInKernel,
    // No module, alias or builtin answers the name asked for (modprobe's
    // "Module X not found"): the request is recorded with the name as asked.
    NotFound,
};
// How many outcomes there are: one past the last.
inline constexpr std::size_t kOutcomeCount = static_cast<std::size_t>(Outcome::NotFound) + 1;

enum class Requester : std::uint8_t { Kernel, Udev, Systemd, User, Other };
inline constexpr std::size_t kRequesterCount = static_cast<std::size_t>(Requester::Other) + 1;

enum class DecompressPath : std::uint8_t { None, Kernel, Userspace };

// Why kmodx ran without one of its own services; a bit set.
enum DegradedBits : std::uint32_t {
    kDegradedNone = 0,
    kNoDedup = 1u << 0,        // lock directory unusable: loaded without dedup
    kLockTimedOut = 1u << 1,   // waited past the bound, loaded on its own
    kDedupDisabled = 1u << 2,  // --no-dedup or the config said so
};

struct Event {
    std::int64_t time_ns = 0;  // CLOCK_REALTIME
    std::string boot_id;       // /proc/sys/kernel/random/boot_id, 36 chars
    std::string module;        // canonical name ('_' not '-')
    std::string tool;          // "modprobe", "insmod", "rmmod"
    pid_t pid = 0;             // the kmodx process
    Requester requester = Requester::Other;
    pid_t parent_pid = 0;
    std::string parent_comm;  // /proc/PPID/comm
    Outcome outcome = Outcome::Loaded;
    int err = 0;                  // positive errno, 0 when none
    pid_t holder_pid = 0;         // Suppressed*: who did the load
    std::string degraded_reason;  // dedup::degraded_name() when kNoDedup
    std::uint32_t degraded = kDegradedNone;

    // Costs.
    Compression format = Compression::None;
    DecompressPath path = DecompressPath::None;
    std::uint64_t file_bytes = 0;    // the module file as stored
    std::uint64_t image_bytes = 0;   // decompressed ELF
    std::uint64_t module_bytes = 0;  // kernel memory of a loaded module (its page-rounded regions)
    std::uint64_t text_bytes = 0;    // its text + init text
    std::uint64_t wait_ns = 0, read_ns = 0, decompress_ns = 0, syscall_ns = 0;
    // For Suppressed*: what the duplicate would have cost the kernel had it
    // reached it (costs.hpp); for DuplicateInKernel: what it did cost.
    std::uint64_t kernel_read_bytes = 0;
    std::uint64_t kernel_alloc_bytes = 0;

    // Removed: the taint flags the module carried ("OE", ...), empty if none.
    std::string taint;

    // A request from udev: the device it ran kmodx for, from the environment
    // udev gives every RUN program (DEVPATH, "/devices/..."; SEQNUM, the
    // event's number; MODALIAS). Empty and 0 for anyone else. The modalias
    // is kept only where the request did more than find its module live: a
    // CPU's is some 600 bytes, and one CPU event writes twenty records.
    std::string device;
    std::uint64_t seqnum = 0;
    std::string modalias;

    // How many events this record stands for: 1, or more for a record that
    // compaction folded together (same module, tool, requester, outcome, err;
    // costs summed, time_ns the earliest).
    std::uint64_t count = 1;
    // Loaded: Kernel::module_instance() right after the load, 0 when unknown.
    // Only the store's claim on it is kept (see Store::append), not the value.
    std::uint64_t instance = 0;
};

const char* outcome_name(Outcome o);      // "loaded", "already_live", ... (JSON/Prometheus labels)
const char* requester_name(Requester r);  // "kernel", "udev", "systemd", "user", "other"
std::optional<Outcome> outcome_from_name(std::string_view s);
std::optional<Requester> requester_from_name(std::string_view s);

// One event as one text line ending in '\n', carrying its own checksum, so a
// reader can tell a whole record from a torn or corrupted one.
std::string encode(const Event& e);
// nullopt for anything that is not one whole, intact record.
std::optional<Event> decode(std::string_view line);

// This boot's id from /proc/sys/kernel/random/boot_id (36 characters), read
// once per process; empty when unreadable.
const std::string& current_boot_id();

struct StoreSettings {
    std::string runtime_dir = KMODX_DEFAULT_RUNTIME_DIR;  // KMODX_RUNTIME_DIR; the store is <dir>/stats/
    std::string state_dir = "/var/lib/kmodx";             // KMODX_STATE_DIR; archived boots in <dir>/boots/
    std::uint64_t max_bytes = 4u << 20;                   // one boot's store; past it old detail is compacted
    unsigned keep_boots = 10;                             // archived boots kept besides the current one
    std::string boot_id;                                  // empty: current_boot_id() (tests set another)
    // This boot's module directory, where archive() sizes the loads recorded
    // without a footprint; empty: the running kernel's (tests set another).
    std::string module_dir;
};
StoreSettings store_settings_from_env();

// What a reader got back from one boot's store.
struct BootEvents {
    std::string boot_id;
    std::vector<Event> events;
    std::uint64_t skipped = 0;    // records that were torn or corrupt, not counted anywhere else
    bool torn_tail = false;       // the last record was cut short (a writer died mid-write)
    std::uint64_t dropped = 0;    // records writers could not append (full disk, EFBIG) but counted
    std::int64_t created_ns = 0;  // CLOCK_REALTIME when this boot's store was created; 0 unknown
};

class Store {
public:
    explicit Store(StoreSettings settings);

    // Appends whole records atomically with respect to every other writer.
    // Fails (with errno) when the store cannot be written; callers ignore it.
    // A `loaded` event with an instance first claims it (one file per module
    // instance in <boot>.formed/): a second claim of the same instance is a
    // call the kernel merged into another load and is stored as
    // `merged_in_kernel`. A `removed` event drops its module's claims.
    Status append(std::span<const Event> events);
    // boot 0: this boot; -1: the boot before (from the archive); ...
    Result<BootEvents> read(int boot) const;
    // Copies this boot's store into the archive and keeps the newest keep_boots.
    Status archive();
    // Empties this boot's store (--stats-reset).
    Status reset();

private:
    StoreSettings settings_;
};

// Called first thing in main() with the argv the process was exec'd with:
// keeps what deciding "the kernel asked" needs (argv and the environment as
// they were, before modprobe sets variables for its children), so recording
// need not read them back from /proc. Without it they are read from /proc.
void remember_invocation(int argc, char** argv);

}  // namespace kmodx::stats
