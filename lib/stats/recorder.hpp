// SPDX-License-Identifier: LGPL-2.1-or-later
// The per-process collector of stats events. Commands hand it one
// Event per module action; it adds what the process knows (time, pid, who
// asked, boot id) and appends the whole invocation's events to the store in
// one write when the process exits.
//
// Recording never changes what a command does or prints: events that cannot
// be appended are dropped, and nothing here can block an exit. A process
// killed before it exits loses its own events and nothing else (the store's
// appends are whole records; no lock is held while events wait in memory).
#pragma once

#include <kmodx/stats.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace kmodx::stats {

class Recorder {
public:
    // Where events go; Store(store_settings_from_env()).append in production.
    using Sink = std::function<Status(std::span<const Event>)>;

    // The process's recorder. KMODX_STATS=off (or 0/no) turns it off.
    static Recorder& instance();

    explicit Recorder(Sink sink = nullptr);
    ~Recorder();
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    bool enabled() const { return enabled_; }

    // Queues E with time_ns and pid filled in; the
    // requester, parent and boot id are added at flush().
    void record(Event e);

    // Appends what is queued in one call to the sink and forgets it, whether
    // or not that worked. Done at exit; a fork()ed child never flushes its
    // parent's events.
    void flush();

    std::size_t pending() const { return events_.size(); }

private:
    Sink sink_;
    bool enabled_ = true;
    bool exit_hook_ = false;
    pid_t owner_ = 0;
    std::string boot_id_;  // the store's, once it is opened
    std::vector<Event> events_;
};

// Shorthand for Recorder::instance().record(...).
void record(Event e);

}  // namespace kmodx::stats
