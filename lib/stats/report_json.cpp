// SPDX-License-Identifier: LGPL-2.1-or-later
// `modprobe --stats=json`: one object, schema docs/stats.schema.json
// ("schema_version" 2). Byte counts and nanoseconds are integers; every
// string is escaped here, module names and parent comms included, since a
// process can name itself anything.
#include <kmodx/stats_report.hpp>

#include "stats/json_writer.hpp"

#include <cstdio>

namespace kmodx::stats {
namespace {

void debugfs_object(Json& j, const DebugfsStats& d) {
    j.open('{');
    j.u("mods_ever_loaded", d.loaded);
    j.u("mods_failed_on_kread", d.failed_kread);
    j.u("mods_failed_on_decompress", d.failed_decompress);
    j.u("mods_failed_on_becoming", d.failed_becoming);
    j.u("mods_failed_on_load", d.failed_load);
    j.u("total_module_size", d.total_size);
    j.u("total_mod_text_size", d.text_size);
    j.u("failed_kread_bytes", d.kread_bytes);
    j.u("failed_decompress_bytes", d.decompress_bytes);
    j.u("failed_becoming_bytes", d.becoming_bytes);
    j.u("failed_kmod_bytes", d.load_bytes);
    j.u("virtual_mem_wasted_bytes", d.wasted_bytes());
    object_array(j, "duplicate_failed_modules", d.duplicates, [&](const auto& m) {
        j.s("module", m.module);
        j.u("count", m.count);
        j.s("reason", duplicate_reason(m));
    });
    j.close('}');
}

void boot_object(Json& j, const Summary& s) {
    j.key("boot");
    j.open('{');
    j.i("index", s.boot);
    j.s("boot_id", s.boot_id);
    j.i("created_ns", s.created_ns);
    j.u("commands", s.commands);
    j.u("records", s.records);
    j.u("events", s.events);
    j.u("skipped", s.skipped);
    j.b("torn_tail", s.torn_tail);
    j.u("dropped", s.dropped);
    j.close('}');
}

void outcomes_object(Json& j, const Summary& s) {
    j.key("outcomes");
    j.open('{');
    for (std::size_t o = 0; o < Summary::kOutcomes; ++o) j.u(outcome_name(static_cast<Outcome>(o)), s.by_outcome[o]);
    j.close('}');
}

void debugfs_objects(Json& j, const Summary& s) {
    j.key("debugfs");
    debugfs_object(j, s.debugfs);
    j.key("kernel_debugfs");
    if (s.kernel) debugfs_object(j, *s.kernel);
    else j.null();
}

void suppressed_array(Json& j, const Summary& s) {
    object_array(j, "suppressed", s.saved, [&](const auto& r) {
        j.s("module", r.module);
        j.u("suppressed", r.suppressed);
        j.u("suppressed_failure", r.suppressed_failure);
        j.u("kernel_read_bytes", r.read_bytes);
        j.u("kernel_alloc_bytes", r.alloc_bytes);
        j.u("bytes_saved", r.alloc_bytes);
    });
}

void requesters_array(Json& j, const Summary& s) {
    object_array(j, "requesters", s.requesters, [&](const auto& r) {
        j.s("requester", requester_name(r.requester));
        j.u("requests", r.requests);
        j.u("loaded", r.loaded);
        j.u("already_live", r.already_live);
        j.u("suppressed", r.suppressed);
        j.u("kernel_duplicates", r.kernel_duplicates);
        j.u("failed", r.failed);
        j.u("cached_failures", r.cached_failures);
        j.u("not_found", r.not_found);
        object_array(j, "parents", r.parents, [&](const auto& p) {
            j.s("comm", p.comm);
            j.u("requests", p.requests);
        });
    });
}

void decompression_array(Json& j, const Summary& s) {
    object_array(j, "decompression", s.decompression, [&](const auto& d) {
        j.s("format", compression_name(d.format));
        j.s("path", decompress_path_name(d.path));
        j.u("count", d.count);
        j.u("bytes_in", d.bytes_in);
        j.u("bytes_out", d.bytes_out);
        j.u("ns", d.ns);
    });
}

void slow_array(Json& j, std::string_view key, const std::vector<Summary::SlowLoad>& list) {
    object_array(j, key, list, [&](const auto& l) {
        j.s("module", l.module);
        j.s("tool", l.tool);
        j.s("requester", requester_name(l.requester));
        j.s("outcome", outcome_name(l.outcome));
        j.i("time_ns", l.time_ns);
        j.u("count", l.count);
        j.u("total_ns", l.total_ns());
        j.u("wait_ns", l.wait_ns);
        j.u("read_ns", l.read_ns);
        j.u("decompress_ns", l.decompress_ns);
        j.u("syscall_ns", l.syscall_ns);
    });
}

void slowest_array(Json& j, const Summary& s) {
    slow_array(j, "slowest_loads", s.slowest);
    slow_array(j, "slowest_requests", s.slowest_requests);
}

void waits_array(Json& j, const Summary& s) {
    object_array(j, "waits", s.waits, [&](const auto& w) {
        j.s("module", w.module);
        j.u("requests", w.requests);
        j.u("total_ns", w.total_ns);
        j.u("worst_ns", w.worst_ns);
    });
}

// {"kernel": 3, "user": 1}: the requesters that asked, none with 0.
void requesters_object(Json& j, const Summary::Failure& f) {
    j.key("requesters");
    j.open('{');
    for (std::size_t w = 0; w < kRequesterCount; ++w)
        if (f.by_requester[w]) j.u(requester_name(static_cast<Requester>(w)), f.by_requester[w]);
    j.close('}');
}

void failures_array(Json& j, const Summary& s) {
    object_array(j, "failures", s.failures, [&](const auto& f) {
        j.s("module", f.module);
        j.s("outcome", outcome_name(f.outcome));
        j.i("errno", f.err);
        j.s("errno_name", errno_name(f.err));
        j.s("message", failure_message(f.outcome, f.err));
        j.u("count", f.count);
        j.u("cached", f.cached);
        requesters_object(j, f);
        j.i("last_ns", f.last_ns);
    });
    object_array(j, "not_found", s.not_found, [&](const auto& f) {
        j.s("name", f.module);
        j.u("count", f.count);
        requesters_object(j, f);
        j.i("last_ns", f.last_ns);
    });
}

void devices_array(Json& j, const Summary& s) {
    j.u("devices", s.devices);
    object_array(j, "device_requests", s.device_requests, [&](const auto& d) {
        j.s("device", d.device);
        j.u("seqnum", d.seqnum);
        j.s("modalias", d.modalias);
        j.s("module", d.module);
        j.s("outcome", outcome_name(d.outcome));
        j.u("count", d.count);
    });
}

void tainted_array(Json& j, const Summary& s) {
    object_array(j, "tainted_unloads", s.tainted, [&](const auto& t) {
        j.s("module", t.module);
        j.s("taint", t.taint);
        j.u("count", t.count);
    });
}

void degraded_array(Json& j, const Summary& s) {
    object_array(j, "degraded", s.degraded, [&](const auto& d) {
        j.u("bits", d.bits);
        j.key("flags");
        j.open('[');
        const std::string names = degraded_names(d.bits);
        for (std::size_t p = 0; p < names.size();) {
            auto c = names.find(',', p);
            if (c == std::string::npos) c = names.size();
            j.elem_str(std::string_view(names).substr(p, c - p));
            p = c + 1;
        }
        j.close(']');
        j.s("reason", d.reason);
        j.u("count", d.count);
    });
}

}  // namespace

std::string render_json(const Summary& s) {
    Json j;
    j.open('{');
    j.u("schema_version", 2);
    boot_object(j, s);
    outcomes_object(j, s);
    debugfs_objects(j, s);
    suppressed_array(j, s);
    requesters_array(j, s);
    decompression_array(j, s);
    slowest_array(j, s);
    waits_array(j, s);
    failures_array(j, s);
    devices_array(j, s);
    tainted_array(j, s);
    degraded_array(j, s);
    // What --stats --explain says, for programs: rule and sentence.
    object_array(j, "findings", explain(s), [&](const Finding& f) {
        j.s("rule", f.rule);
        j.s("text", f.text);
    });
    j.close('}');
    j.out += '\n';
    return j.out;
}

}  // namespace kmodx::stats
