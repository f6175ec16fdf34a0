// SPDX-License-Identifier: LGPL-2.1-or-later
#include "stats/recorder.hpp"

#include "core/self.hpp"
#include "stats/requester.hpp"

#include <kmodx/clock.hpp>
#include <kmodx/config.hpp>

#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace kmodx::stats {
namespace {

// The config layer folds in KMODX_STATS, so `stats = no` and the variable
// both switch recording off.
bool stats_switched_off() { return !kmodx::config().stats; }

void flush_at_exit() { Recorder::instance().flush(); }

}  // namespace

Recorder& Recorder::instance() {
    static Recorder r;
    return r;
}

Recorder::Recorder(Sink sink) : sink_(std::move(sink)), enabled_(!stats_switched_off()) {}

Recorder::~Recorder() = default;

void Recorder::record(Event e) {
    if (!enabled_) return;
    if (owner_ == 0) owner_ = self::pid();
    if (!exit_hook_ && this == &instance()) {
        exit_hook_ = true;
        std::atexit(flush_at_exit);
    }
    if (e.time_ns == 0) e.time_ns = realtime_ns();
    if (e.pid == 0) e.pid = owner_;
    events_.push_back(std::move(e));
}

void Recorder::flush() {
    if (events_.empty()) return;
    std::vector<Event> events = std::move(events_);
    events_.clear();
    if (owner_ != self::pid()) return;
    // Gathered here, once, and only by a process that has something to say.
    const RequesterFacts facts = gather_requester_facts();
    const Requester who = classify(facts);
    const UdevDevice device = who == Requester::Udev ? udev_device(facts) : UdevDevice{};
    if (!sink_) {
        StoreSettings settings = store_settings_from_env();
        boot_id_ = settings.boot_id.empty() ? current_boot_id() : settings.boot_id;
        sink_ = [store = Store(std::move(settings))](std::span<const Event> ev) mutable { return store.append(ev); };
    }
    for (Event& e : events) {
        e.requester = who;
        e.parent_pid = facts.parent_pid;
        e.parent_comm = facts.parent_comm;
        e.device = device.devpath;
        e.seqnum = device.seqnum;
        // The long part only where the report shows it (Event::modalias).
        if (e.outcome != Outcome::AlreadyLive) e.modalias = device.modalias;
        if (e.boot_id.empty()) e.boot_id = boot_id_;
    }
    (void)sink_(events);
}

void record(Event e) { Recorder::instance().record(std::move(e)); }

}  // namespace kmodx::stats
