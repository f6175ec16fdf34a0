// SPDX-License-Identifier: LGPL-2.1-or-later
// One load per module across processes (docs/dedup.md). Every module a process is
// about to load is taken under an flock on a small file named after it in
// the runtime directory's locks/; the holder loads and writes what happened
// into the file, whoever waited behind it reads that instead of loading
// again. flock locks die with their holder, so a crash or a reboot never
// leaves a lock behind.
//
// flock() works on any descriptor, a read-only one too: whoever can open a
// lock file can hold it and make root wait. locks/ is root's alone (0700)
// and so is every file in it (0600), so no other user can open one.
//
// Nothing here may make a load fail: every problem with the directory or a
// lock file is reported as a Degraded reason and the caller loads without
// dedup, exactly as stock modprobe would.
#pragma once

#include <kmodx/clock.hpp>
#include <kmodx/config.hpp>
#include <kmodx/fd.hpp>
#include <kmodx/kernel.hpp>

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace kmodx::dedup {

enum class Degraded {
    Missing,
    ReadOnly,
    NoSpace,
    NotOwnedByRoot,
    Writable,
    Symlink,
    BadName,
    UntrustedLock,
    OpenToOthers,  // locks/ or a lock file that users other than root may open
    NoAccess,      // we may not open it (an unprivileged caller)
    NotRegular,    // a FIFO, device or directory where a lock file should be
    Other
};

// A short lowercase word for notes and stats ("symlink", "world-writable", ...).
const char* degraded_name(Degraded reason);
// What an admin does about it, for the warning that names the path.
const char* degraded_fix(Degraded reason);

// The knobs dedup uses, taken from kmodx::config() (kmodx.conf, then the
// environment); --no-dedup is the caller's business.
struct Settings {
    bool enabled = true;
    std::string runtime_dir = KMODX_DEFAULT_RUNTIME_DIR;
    std::int64_t wait_bound_ms = 120'000;
    std::int64_t fail_window_s = 60;  // 0: never reuse a failure
};
Settings settings_from(const Config& c);

// Why the runtime directory cannot serve, and at which level: the warning
// names the path at fault (PATH or PATH/locks).
struct DirFault {
    Degraded reason = Degraded::Other;
    bool locks_dir = false;  // its locks/ is at fault, not the directory itself
};

class RuntimeDir {
public:
    // Creates PATH 0755 when missing and we are root (its parent must exist),
    // then opens it without following a symlink and checks that only root can
    // write into it; then the same for its locks/ (0700), which must be
    // closed to group and others as well.
    static std::expected<RuntimeDir, DirFault> open(const std::string& path);

    // locks/: where the lock files are.
    int fd() const { return fd_.get(); }

private:
    explicit RuntimeDir(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

// The lock file's name for a module: '-' read as '_', only [A-Za-z0-9_],
// at most 56 characters (the kernel's MODULE_NAME_LEN). nullopt: refused.
std::optional<std::string> lock_name(std::string_view module);

// What the last holder did, as it left it in the lock file.
struct Record {
    pid_t pid = 0;
    std::int64_t time_ns = 0;  // CLOCK_REALTIME: means something across a reboot
    int err = 0;               // 0: loaded; else the positive errno the load gave
    std::uint64_t key = 0;     // request_key() of the load it made
    // Written before the syscall, replaced after it: a pending record found by
    // the next holder means its writer died mid-load ("err pending").
    bool pending = false;
    // The writer's start time (Kernel::task_start_time; 0: unknown): a pid
    // is reused once its process exits, the pair is not.
    std::uint64_t start = 0;
};

std::uint64_t params_hash(std::string_view params);
// What a failure is remembered under: the same module file (device, inode,
// size, mtime; a file replaced by a good one is another file), the same
// options and the same force flags (-f may be exactly what makes a load
// work). PATH is stat()ed; one that cannot be is keyed by its errno.
std::uint64_t request_key(std::string_view params, unsigned force_flags, const std::string& path);
// Every record is kRecordBytes long (newline-padded), so it overwrites the
// one before it whole.
inline constexpr std::size_t kRecordBytes = 128;
std::string format_record(const Record& r);
// Anything malformed, truncated or oversized reads as no record at all.
std::optional<Record> parse_record(std::string_view text);

struct LockFailure {
    bool timed_out = false;  // false: degraded for `reason`
    Degraded reason = Degraded::Other;
    std::int64_t waited_ns = 0;
    bool lock_file = false;  // the module's lock file is at fault, not the directory
};

// Asked past the bound whether to wait on, with the pid and start time the
// lock record names as loading (0, 0 when it names none).
using PastBound = std::function<bool(pid_t holder, std::uint64_t start)>;

class ModuleLock {
public:
    // Takes the module's lock within `wait_bound_ms`. Uncontended, the lock is
    // exclusive at once. Otherwise we sleep in the kernel for a *shared* lock:
    // when the holder releases, every waiter is admitted at once and reads its
    // record, instead of all of them taking an exclusive lock in turn just to
    // see that the module is live (a thundering herd that made a 64-CPU storm
    // slower than stock modprobe). A waiter that must load after all asks for
    // make_exclusive().
    // ON_WAIT, if set, is told before the wait starts, with the pid of the
    // process loading the module (0 when its record does not say yet).
    // PAST_BOUND, if set, is asked once the bound has passed and then after
    // gaps of 1, 2, 4 ... 32 s: while it answers true the wait goes on
    // (extended()). The bound holds whatever the caller's signal mask says.
    static std::expected<ModuleLock, LockFailure> acquire(const RuntimeDir& dir, std::string_view module,
                                                          std::int64_t wait_bound_ms,
                                                          const std::function<void(pid_t)>& on_wait = {},
                                                          const PastBound& past_bound = {});

    // True when another process held the lock at our first attempt.
    bool contended() const { return contended_; }
    bool exclusive() const { return exclusive_; }
    std::int64_t waited_ns() const { return waited_ns_; }
    // True when the wait went on past the bound because PAST_BOUND said so.
    bool extended() const { return extended_; }
    const std::optional<Record>& previous() const { return previous_; }

    // Converts a shared lock into the exclusive one, waiting at most
    // `wait_bound_ms` more, and re-reads the record: the conversion is not
    // atomic, so another holder may have loaded in between. The LockFailure
    // says timed_out when the bound passed.
    std::expected<void, LockFailure> make_exclusive(std::int64_t wait_bound_ms, const PastBound& past_bound = {});

    // Replaces the record for the next holder (exclusive holders only; EPERM
    // otherwise); errors are ignored by callers (a missing record only costs
    // the next holder a state check).
    Status write_record(const Record& r);

    // Closing the file releases the lock.
    void release() { fd_.reset(); }

private:
    ModuleLock(UniqueFd fd, bool contended, bool exclusive, std::int64_t waited, bool extended,
               std::optional<Record> prev, std::uint64_t file_bytes)
        : fd_(std::move(fd)),
          longer_than_a_record_(file_bytes > kRecordBytes),
          contended_(contended),
          exclusive_(exclusive),
          extended_(extended),
          waited_ns_(waited),
          previous_(prev) {}
    UniqueFd fd_;
    // Only a file kmodx did not write can be: our first record truncates it.
    bool longer_than_a_record_ = false;
    bool contended_ = false;
    bool exclusive_ = false;
    bool extended_ = false;
    std::int64_t waited_ns_ = 0;
    std::optional<Record> previous_;
};

enum class Action { SkipLive, ReuseFailure, Settle, Load };
struct Decision {
    Action action = Action::Load;
    int err = 0;  // ReuseFailure: the positive errno to return
};

// What to do under the lock. A live module is never loaded again. A recent
// failure (younger than `fail_window_s`, 0 disables) is reused only for a
// request with the same key (request_key()): another file, other options or
// other force flags may be exactly what makes the load work, so such a
// request loads on its own. EEXIST is never reused (the state check is the
// authority on presence), nor are failures of the moment (ENOENT: a
// dependency went away; EBUSY, EAGAIN, EINTR, ENOMEM, ETIMEDOUT) or of the
// caller (EPERM, EACCES: a process without CAP_SYS_MODULE). A coming or going
// module is being loaded or removed by someone outside kmodx: Settle (wait
// until it is live or gone, then decide again). The exception is a coming
// module a kmodx holder that died left behind (a pending record): the kernel
// is still running that init, and its own duplicate wait answers a load with
// the init's outcome, so that one just loads.
Decision decide(ModuleState state, const std::optional<Record>& previous, std::uint64_t request_key,
                std::int64_t now_ns, std::int64_t fail_window_s);

// What load_once() did, for -v and stats.
struct GuardReport {
    std::optional<Degraded> degraded;  // no dedup, and why
    bool degraded_lock_file = false;   // the module's lock file was at fault, not the directory
    bool degraded_locks_dir = false;   // the runtime directory's locks/ was at fault
    bool timed_out = false;            // waited past the bound, then loaded on our own (unless live_past_bound)
    bool live_past_bound = false;      // timed out, but live by then: not loaded
    bool by_other = false;             // answered by another process's load or failure
    pid_t holder_pid = 0;              // 0 with by_other: a loader outside kmodx
    std::int64_t waited_ns = 0;        // for the lock
    bool disabled = false;             // the configuration turned dedup off
    bool held_by_parent = false;       // an install command's parent holds the lock
    // Found coming or going (a loader outside kmodx) and waited under the lock.
    bool settled = false;
    bool settled_from_going = false;  // it was being removed, not loaded
    bool settle_timed_out = false;    // still coming after the bound: loaded anyway
    // Waited for the lock past the bound: the holder was alive and in the
    // kernel with the module (in its load call, or the module coming), so a
    // load of our own would only have waited there too.
    bool waited_for_kernel = false;
    // Past the bound the record named a pid now owned by another process
    // (its start time differs): not waited for on its word.
    bool holder_pid_reused = false;
    std::int64_t settle_ns = 0;
};

// Runs LOAD (0, -EEXIST or -errno, as modprobe's steps answer) for MODULE
// under its lock, unless the kernel state or the last holder's record (for
// the same KEY, see request_key()) already answers; then leaves a record for
// the next one. The runtime directory is
// opened once per process, on the first call. Never fails on its own account:
// any problem with the locks means LOAD runs unguarded.
// ON_WAIT: see ModuleLock::acquire (modprobe -v tells a waiting person why).
int load_once(Kernel& kernel, std::string_view module, std::uint64_t key, const std::function<int()>& load,
              GuardReport& report, const std::function<void(pid_t)>& on_wait = {});

// Runs an install command (COMMAND: 0 or -errno) for MODULE under MODULE's
// lock, so concurrent ones never overlap. It is skipped (-EEXIST) when the
// module is live once the lock is taken, as libkmod skips it for a live
// module; otherwise it runs every time, as in kmod: what a command does is
// not ours to cache. The command's environment names the locks this process
// holds (KMODX_LOCKS_HELD), so a modprobe it runs for the same module does
// not wait for its own parent.
int run_serialised(Kernel& kernel, std::string_view module, const std::function<int()>& command, GuardReport& report,
                   const std::function<void(pid_t)>& on_wait = {});

}  // namespace kmodx::dedup
