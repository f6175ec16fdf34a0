// SPDX-License-Identifier: LGPL-2.1-or-later
// Archiving boots: the runtime store lives on tmpfs and dies with the boot,
// so archive() copies it under the state directory, named by the store's
// creation time so that name order is boot order. The copy is written to a
// temporary file, synced and renamed: a crash leaves the old copy or the
// new one, never half of one.
#include "stats/store_impl.hpp"

#include "core/dir_entries.hpp"
#include "stats/deferred_footprint.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <set>

namespace kmodx::stats {
namespace {

// The records of REST with the footprints deferred at load time filled in
// from MODULE_DIR (deferred_footprint.hpp); every other line as it was,
// torn or corrupt ones too (the reader counts those).
std::string with_footprints(std::string_view rest, const std::string& module_dir, const std::string& b) {
    std::string out;
    out.reserve(rest.size());
    while (!rest.empty()) {
        const std::size_t nl = std::min(rest.find('\n'), rest.size() - 1);
        const std::string_view l = rest.substr(0, nl + 1);
        rest.remove_prefix(nl + 1);
        std::optional<Event> e = l.ends_with('\n') ? decode(l.substr(0, l.size() - 1)) : std::nullopt;
        if (!e || !footprint_deferred(*e)) {
            out += l;
            continue;
        }
        std::vector<Event> one{std::move(*e)};
        fill_deferred_footprints(one, module_dir);
        line::encode_to(out, one.front(), b);
    }
    return out;
}

// Copies boot `b`'s runtime store into the archive, folding its dropped
// counter into the header so the copy stands alone. MODULE_DIR: where the
// boot's modules are, for the footprints deferred at load time (empty for a
// boot that is not this one: its kernel's modules are not known).
Status archive_one(int stats_dir, int locks_dir, int boots_dir, const std::string& b,
                   const std::string& module_dir = {}) {
    // The events lock exclusive, for a snapshot of the current file that
    // ends on a whole record: in-flight appends finish first. A writer stuck
    // mid-append does not stop the archive; its record may then be copied
    // torn.
    auto lock = store::open_lock(locks_dir, store::events_name(b));
    if (lock) store::lock_bounded(lock->get(), LOCK_EX);
    auto fd = store::open_file(stats_dir, store::events_name(b), O_RDONLY);
    if (!fd) return fd.error().code == ENOENT ? Status{} : Status{std::unexpected(fd.error())};
    auto data = store::read_all(fd->get());
    struct stat st {};
    ::fstat(fd->get(), &st);
    std::uint64_t dropped = store::read_dropped(stats_dir, locks_dir, b);
    if (lock) lock->reset();
    if (!data) return std::unexpected(data.error());

    std::string_view rest = *data;
    line::Header h{b, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec, 0, 0};
    std::size_t nl = rest.find('\n');
    if (nl != std::string_view::npos) {
        if (auto prev = line::decode_header(rest.substr(0, nl))) {
            h = *prev;
            h.boot_id = b;
            rest.remove_prefix(nl + 1);
        }
    }
    h.dropped += dropped;
    std::string out = line::encode_header(h);
    if (module_dir.empty()) out += rest;
    else out += with_footprints(rest, module_dir, b);
    return store::replace_file(boots_dir, store::archive_name(h.created_ns, b), out, true);
}

// Runtime stores of other boots (a runtime directory that is not tmpfs
// survives reboots): archived like this boot's, then removed.
std::vector<std::string> stale_boots(int stats_dir, const std::string& me) {
    std::vector<std::string> out;
    (void)dir_entries::each_at(stats_dir, ".", [&](std::string_view n) {
        if (n.size() != 36 + 7 || !n.ends_with(".events")) return true;
        std::string b(n.substr(0, 36));
        if (line::valid_boot_id(b) && b != me) out.push_back(std::move(b));
        return true;
    });
    return out;
}

// Temporary files (.tmp.PID.N) whose writer died before its rename would
// stay forever in the archive: removed once their process is gone.
void remove_dead_temps(int dir) {
    std::vector<std::string> dead;
    (void)dir_entries::each_at(dir, ".", [&](std::string_view n) {
        if (!n.starts_with(".tmp.")) return true;
        long pid = std::strtol(n.data() + 5, nullptr, 10);  // the name ends in a NUL
        if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) dead.emplace_back(n);
        return true;
    });
    for (const auto& n : dead) ::unlinkat(dir, n.c_str(), 0);
}

// Keeps this boot's copy and the newest `keep` others, one copy per boot.
void prune(int boots_dir, const std::string& me, unsigned keep) {
    std::set<std::string> seen;
    unsigned others = 0;
    for (const auto& e : store::list_archive(boots_dir)) {
        bool drop = !seen.insert(e.boot_id).second || (e.boot_id != me && others++ >= keep);
        if (drop) ::unlinkat(boots_dir, e.name.c_str(), 0);
    }
}

}  // namespace

Status Store::archive() {
    const std::string& me = settings_.boot_id.empty() ? current_boot_id() : settings_.boot_id;
    if (!line::valid_boot_id(me)) return failure(ENOENT, "boot id unknown");
    auto state = store::open_dir(AT_FDCWD, settings_.state_dir, true);
    if (!state) return std::unexpected(state.error());
    auto boots = store::open_dir(state->get(), "boots", true);
    if (!boots) return std::unexpected(boots.error());

    auto stats = store::open_stats_dir(settings_.runtime_dir, false);
    if (!stats && stats.error().code != ENOENT) return std::unexpected(stats.error());
    if (stats) {
        auto locks = store::open_locks_dir(stats->get(), store::stats_path(settings_.runtime_dir), true);
        if (!locks) return std::unexpected(locks.error());
        for (const std::string& b : stale_boots(stats->get(), me)) {
            if (!archive_one(stats->get(), locks->get(), boots->get(), b)) continue;  // left for a later try
            for (const std::string& n : {store::events_name(b), store::dropped_name(b)}) {
                ::unlinkat(stats->get(), n.c_str(), 0);
                ::unlinkat(locks->get(), n.c_str(), 0);
            }
            ::unlinkat(locks->get(), store::compact_lock_name(b).c_str(), 0);
        }
        const std::string module_dir = settings_.module_dir.empty() ? running_module_dir() : settings_.module_dir;
        if (auto ok = archive_one(stats->get(), locks->get(), boots->get(), me, module_dir); !ok) return ok;
    }
    prune(boots->get(), me, settings_.keep_boots);
    remove_dead_temps(boots->get());
    if (stats) remove_dead_temps(stats->get());
    return {};
}

}  // namespace kmodx::stats
