// SPDX-License-Identifier: LGPL-2.1-or-later
// Reading a boot's store back. Readers need no lock: compaction and reset
// replace the file by rename(), so a reader holds either the old file or the
// new one, each whole. Only a record still being written at the end can look
// cut short; root waits for the writers once and looks again, anyone else
// (who cannot open the private lock files) leaves it to the parser, which
// skips and counts a torn tail.
#include "stats/store_impl.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <charconv>

namespace kmodx::stats {
namespace store {

Parsed parse(std::string_view data) {
    Parsed p;
    p.events.reserve(data.size() / 160);
    p.sizes.reserve(data.size() / 160);
    std::size_t pos = 0;
    bool first = true;
    while (pos < data.size()) {
        std::size_t nl = data.find('\n', pos);
        bool whole = nl != std::string_view::npos;
        std::size_t len = (whole ? nl + 1 : data.size()) - pos;
        std::string_view l = data.substr(pos, whole ? len - 1 : len);
        pos += len;
        if (std::exchange(first, false)) {
            if (auto h = line::decode_header(l)) {
                p.header = std::move(*h);
                p.header_len = len;
                continue;
            }
        }
        if (!whole) {
            p.torn_tail = true;
            ++p.skipped;
            break;
        }
        if (auto e = decode(l)) {
            p.events.push_back(std::move(*e));
            p.sizes.push_back(static_cast<std::uint32_t>(len));
            continue;
        }
        // A writer killed mid-record leaves no newline, so the next writer's
        // record continues the same line: look for a whole record starting
        // inside it. A false start would need a matching CRC-32 as well.
        // Only the line's last few KiB can hold it (a record is a few hundred
        // bytes), which keeps a huge garbage line linear to skip.
        bool found = false;
        const std::string start = std::string(line::kTag) + '\t';
        constexpr std::size_t kLongestRecord = 4096;
        std::size_t from = l.size() > kLongestRecord ? l.size() - kLongestRecord : 1;
        for (std::size_t at = l.find(start, from); at != std::string_view::npos; at = l.find(start, at + 1)) {
            auto e = decode(l.substr(at));
            if (!e) continue;
            // The first part may even be whole, torn just before its newline.
            if (auto head = decode(l.substr(0, at))) {
                p.events.push_back(std::move(*head));
                p.sizes.push_back(static_cast<std::uint32_t>(at + 1));
            } else {
                ++p.skipped;
            }
            p.events.push_back(std::move(*e));
            p.sizes.push_back(static_cast<std::uint32_t>(len - at));
            found = true;
            break;
        }
        if (!found) ++p.skipped;
    }
    return p;
}

std::uint64_t read_dropped(int stats_dir, int locks_dir, std::string_view boot_id) {
    auto fd = open_file(stats_dir, dropped_name(boot_id), O_RDONLY);
    if (!fd) return 0;
    UniqueFd lock;
    if (locks_dir >= 0)
        if (auto l = open_lock(locks_dir, dropped_name(boot_id)); l && lock_bounded(l->get(), LOCK_SH))
            lock = std::move(*l);
    auto value = [&] {
        char buf[32];
        ssize_t n = ::pread(fd->get(), buf, sizeof buf, 0);
        std::uint64_t v = 0;
        if (n > 0) std::from_chars(buf, buf + n, v);
        return v;
    };
    std::uint64_t v = value();
    // Without the lock a read can meet the counter half rewritten; it is
    // fixed-width and rewritten in one pwrite, so two equal reads are whole.
    for (int tries = 0; !lock && tries < 8; ++tries)
        if (std::uint64_t again = value(); std::exchange(v, again) == again) break;
    return v;
}

}  // namespace store

namespace {

BootEvents from_parsed(std::string boot_id, store::Parsed p) {
    BootEvents out;
    out.boot_id = std::move(boot_id);
    out.events = std::move(p.events);
    out.skipped = p.skipped;
    out.torn_tail = p.torn_tail;
    if (p.header) {
        out.skipped += p.header->skipped;
        out.dropped = p.header->dropped;
        out.created_ns = p.header->created_ns;
    }
    return out;
}

Result<BootEvents> read_current(const StoreSettings& s, const std::string& boot) {
    BootEvents empty;
    empty.boot_id = boot;
    auto dir = store::open_stats_dir(s.runtime_dir, false);
    if (!dir) {
        if (dir.error().code == ENOENT) return empty;
        return std::unexpected(dir.error());
    }
    // Root's; for anyone else EACCES, and they read without locks.
    auto locks = store::open_locks_dir(dir->get(), store::stats_path(s.runtime_dir), false);
    const int locks_fd = locks ? locks->get() : -1;
    std::uint64_t dropped = store::read_dropped(dir->get(), locks_fd, boot);
    auto fd = store::open_file(dir->get(), store::events_name(boot), O_RDONLY);
    if (!fd) {
        if (fd.error().code != ENOENT) return std::unexpected(fd.error());
        empty.dropped = dropped;
        return empty;
    }
    auto data = store::read_all(fd->get());
    if (!data) return std::unexpected(data.error());
    if (!data->empty() && data->back() != '\n' && locks_fd >= 0) {
        // Appenders hold the events lock shared while they write: once the
        // exclusive one is ours, whatever is still cut short was torn for
        // good.
        if (auto lock = store::open_lock(locks_fd, store::events_name(boot))) {
            store::lock_bounded(lock->get(), LOCK_EX);
            if (auto rest = store::read_all(fd->get(), data->size())) *data += *rest;
        }
    }
    BootEvents out = from_parsed(boot, store::parse(*data));
    out.dropped += dropped;
    return out;
}

}  // namespace

Result<BootEvents> Store::read(int boot) const {
    const std::string& me = settings_.boot_id.empty() ? current_boot_id() : settings_.boot_id;
    if (!line::valid_boot_id(me)) return failure(ENOENT, "boot id unknown");
    if (boot > 0) return failure(EINVAL, "boot " + std::to_string(boot) + ": must be 0 or negative");
    if (boot == 0) return read_current(settings_, me);

    auto state = store::open_dir(AT_FDCWD, settings_.state_dir, false);
    if (!state) return std::unexpected(state.error());
    auto dir = store::open_dir(state->get(), "boots", false, settings_.state_dir + "/boots");
    if (!dir) return std::unexpected(dir.error());
    std::size_t want = static_cast<std::size_t>(-static_cast<long long>(boot)) - 1;
    for (auto& entry : store::list_archive(dir->get())) {
        if (entry.boot_id == me) continue;  // this boot's own copy is not a previous boot
        if (want-- != 0) continue;
        auto fd = store::open_file(dir->get(), entry.name, O_RDONLY);
        if (!fd) return std::unexpected(fd.error());
        auto data = store::read_all(fd->get());
        if (!data) return std::unexpected(data.error());
        return from_parsed(entry.boot_id, store::parse(*data));
    }
    return failure(ENOENT, "no boot " + std::to_string(boot) + " in " + settings_.state_dir + "/boots");
}

}  // namespace kmodx::stats
