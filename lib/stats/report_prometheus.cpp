// SPDX-License-Identifier: LGPL-2.1-or-later
// `modprobe --stats=prometheus`: the text exposition format that
// node_exporter's textfile collector reads (a *.prom file, no timestamps).
// Figures are totals for one boot, so cumulative ones are counters (they
// reset at boot like any process counter); names carry the kmodx_ prefix,
// base units (_bytes, _seconds) and _total on counters.
#include <kmodx/stats_report.hpp>

#include <cstdio>
#include <initializer_list>
#include <utility>

namespace kmodx::stats {
namespace {

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class Prom {
public:
    std::string out;

    void family(std::string_view name, std::string_view type, std::string_view help) {
        name_ = name;
        out += "# HELP ";
        out += name;
        out += ' ';
        for (char c : help) {  // HELP escapes only backslash and newline
            if (c == '\\') out += "\\\\";
            else if (c == '\n') out += "\\n";
            else out += c;
        }
        out += "\n# TYPE ";
        out += name;
        out += ' ';
        out += type;
        out += '\n';
    }
    void sample(Labels labels, std::string_view value) {
        out += name_;
        if (labels.size()) {
            out += '{';
            bool first = true;
            for (const auto& [k, v] : labels) {
                if (!first) out += ',';
                out += k;
                out += "=\"";
                out += prometheus_label_escape(v);
                out += '"';
                first = false;
            }
            out += '}';
        }
        out += ' ';
        out += value;
        out += '\n';
    }
    void sample(Labels labels, std::uint64_t v) { sample(labels, std::to_string(v)); }
    void seconds(Labels labels, std::uint64_t ns) {
        char b[48];
        std::snprintf(b, sizeof b, "%.9f", static_cast<double>(ns) / 1e9);
        sample(labels, b);
    }

private:
    std::string name_;
};

struct Source {
    const char* name;
    const DebugfsStats* stats;
};

void debugfs_families(Prom& p, const Summary& s) {
    std::vector<Source> src{{"kmodx", &s.debugfs}};
    if (s.kernel) src.push_back({"kernel", &*s.kernel});
    p.family("kmodx_debugfs_modules_loaded_total", "counter",
             "Mods ever loaded, as kmodx computes it from its events (source=\"kmodx\") or as the kernel's debugfs "
             "says (source=\"kernel\").");
    for (auto [n, d] : src) p.sample({{"source", n}}, d->loaded);
    p.family("kmodx_debugfs_failed_total", "counter", "Module loads that failed, by the kernel's stage.");
    for (auto [n, d] : src) {
        p.sample({{"source", n}, {"stage", "kread"}}, d->failed_kread);
        p.sample({{"source", n}, {"stage", "decompress"}}, d->failed_decompress);
        p.sample({{"source", n}, {"stage", "becoming"}}, d->failed_becoming);
        p.sample({{"source", n}, {"stage", "load"}}, d->failed_load);
    }
    p.family("kmodx_debugfs_failed_bytes_total", "counter",
             "Virtual memory the kernel spent on failed loads, by stage (Virtual mem wasted bytes is their sum).");
    for (auto [n, d] : src) {
        p.sample({{"source", n}, {"stage", "kread"}}, d->kread_bytes);
        p.sample({{"source", n}, {"stage", "decompress"}}, d->decompress_bytes);
        p.sample({{"source", n}, {"stage", "becoming"}}, d->becoming_bytes);
        p.sample({{"source", n}, {"stage", "load"}}, d->load_bytes);
    }
    p.family("kmodx_debugfs_module_size_bytes_total", "counter", "Total module size of successful loads.");
    for (auto [n, d] : src) p.sample({{"source", n}}, d->total_size);
    p.family("kmodx_debugfs_module_text_size_bytes_total", "counter",
             "Total text + init text size of successful loads.");
    for (auto [n, d] : src) p.sample({{"source", n}}, d->text_size);
    p.family("kmodx_debugfs_duplicate_failures_total", "counter",
             "Duplicate loads the kernel refused (EEXIST/EBUSY), by module and reason.");
    for (auto [n, d] : src)
        for (const auto& m : d->duplicates)
            p.sample({{"source", n}, {"module", m.module}, {"reason", duplicate_reason(m)}}, m.count);
}

}  // namespace

std::string render_prometheus(const Summary& s) {
    Prom p;
    p.family("kmodx_stats_boot_info", "gauge", "The boot these figures describe (boot 0 is the current one).");
    p.sample({{"boot_id", s.boot_id}, {"boot", std::to_string(s.boot)}}, 1);
    p.family("kmodx_stats_records", "gauge", "Records read from the boot's stats store.");
    p.sample({}, s.records);
    p.family("kmodx_stats_skipped_records", "gauge", "Torn or corrupt records the reader skipped.");
    p.sample({}, s.skipped);
    p.family("kmodx_stats_dropped_records", "gauge", "Records writers could not append (counted, not stored).");
    p.sample({}, s.dropped);
    p.family("kmodx_stats_torn_tail", "gauge", "1 when the store's last record was cut short.");
    p.sample({}, s.torn_tail ? 1 : 0);

    p.family("kmodx_module_events_total", "counter", "Module actions recorded, by outcome.");
    for (std::size_t o = 0; o < Summary::kOutcomes; ++o)
        p.sample({{"outcome", outcome_name(static_cast<Outcome>(o))}}, s.by_outcome[o]);

    p.family("kmodx_requests_total", "counter", "Load requests by requester.");
    for (const auto& r : s.requesters) p.sample({{"requester", requester_name(r.requester)}}, r.requests);
    p.family("kmodx_duplicate_requests_total", "counter",
             "Duplicate load requests by requester: suppressed by kmodx or refused by the kernel.");
    for (const auto& r : s.requesters) {
        p.sample({{"requester", requester_name(r.requester)}, {"where", "suppressed"}}, r.suppressed);
        p.sample({{"requester", requester_name(r.requester)}, {"where", "kernel"}}, r.kernel_duplicates);
    }
    p.family("kmodx_failed_requests_total", "counter",
             "Load requests whose callers saw them fail (read, decompress, in the kernel, or a cached failure), by "
             "requester.");
    for (const auto& r : s.requesters) p.sample({{"requester", requester_name(r.requester)}}, r.failed);
    p.family(
        "kmodx_cached_failed_requests_total", "counter",
        "Of the failed load requests, those answered by another process's failure without a syscall, by requester.");
    for (const auto& r : s.requesters) p.sample({{"requester", requester_name(r.requester)}}, r.cached_failures);
    p.family("kmodx_not_found_requests_total", "counter",
             "Load requests for names no module, alias or builtin answers, by requester.");
    for (const auto& r : s.requesters) p.sample({{"requester", requester_name(r.requester)}}, r.not_found);
    p.family("kmodx_requests_by_parent_total", "counter", "Load requests by requester and parent process name.");
    for (const auto& r : s.requesters)
        for (const auto& par : r.parents)
            p.sample({{"requester", requester_name(r.requester)}, {"parent", par.comm}}, par.requests);

    p.family("kmodx_suppressed_total", "counter",
             "Duplicate loads kmodx kept from the kernel, by module (kind: waited for another loader, or a cached "
             "failure).");
    for (const auto& r : s.saved) {
        if (r.suppressed) p.sample({{"module", r.module}, {"kind", "waited"}}, r.suppressed);
        if (r.suppressed_failure) p.sample({{"module", r.module}, {"kind", "cached_failure"}}, r.suppressed_failure);
    }
    p.family("kmodx_saved_bytes_total", "counter",
             "Kernel memory the suppressed duplicates would have wasted, by the kernel's CONFIG_MODULE_STATS rules.");
    for (const auto& r : s.saved) p.sample({{"module", r.module}}, r.alloc_bytes);
    p.family("kmodx_saved_read_bytes_total", "counter",
             "Bytes the kernel would have read or copied in for the suppressed duplicates.");
    for (const auto& r : s.saved) p.sample({{"module", r.module}}, r.read_bytes);

    p.family("kmodx_decompressions_total", "counter",
             "Compressed module files read, by format and where they were decompressed.");
    for (const auto& d : s.decompression)
        p.sample({{"format", compression_name(d.format)}, {"path", decompress_path_name(d.path)}}, d.count);
    p.family("kmodx_decompress_input_bytes_total", "counter", "Compressed bytes read.");
    for (const auto& d : s.decompression)
        p.sample({{"format", compression_name(d.format)}, {"path", decompress_path_name(d.path)}}, d.bytes_in);
    p.family("kmodx_decompress_output_bytes_total", "counter", "Decompressed bytes produced.");
    for (const auto& d : s.decompression)
        p.sample({{"format", compression_name(d.format)}, {"path", decompress_path_name(d.path)}}, d.bytes_out);
    p.family("kmodx_decompress_seconds_total", "counter", "Time spent decompressing in userspace.");
    for (const auto& d : s.decompression)
        p.seconds({{"format", compression_name(d.format)}, {"path", decompress_path_name(d.path)}}, d.ns);

    // Per module, for every module loaded: the same series every boot (a
    // rank among the slowest would make new ones whenever the order changed).
    p.family("kmodx_loads_total", "counter", "Successful loads by module.");
    for (const auto& l : s.loads) p.sample({{"module", l.module}}, l.loads);
    p.family("kmodx_load_seconds_total", "counter",
             "Time of the successful loads by module (wait + read + decompress + syscall).");
    for (const auto& l : s.loads) p.seconds({{"module", l.module}}, l.total_ns);
    p.family("kmodx_load_seconds_max", "gauge", "The slowest successful load of the module this boot.");
    for (const auto& l : s.loads) p.seconds({{"module", l.module}}, l.worst_ns);

    p.family("kmodx_wait_seconds_total", "counter",
             "Time load requests spent waiting for another loader of the module, by module.");
    for (const auto& w : s.waits) p.seconds({{"module", w.module}}, w.total_ns);
    p.family("kmodx_waiting_requests_total", "counter", "Load requests that waited for another loader, by module.");
    for (const auto& w : s.waits) p.sample({{"module", w.module}}, w.requests);

    p.family("kmodx_failures_total", "counter",
             "Failed loads and removals by module, outcome and errno, cached failures included.");
    for (const auto& f : s.failures)
        p.sample({{"module", f.module}, {"outcome", outcome_name(f.outcome)}, {"errno", errno_name(f.err)}}, f.count);
    p.family("kmodx_not_found_total", "counter", "Load requests for names nothing answers, by name.");
    for (const auto& f : s.not_found) p.sample({{"name", f.module}}, f.count);

    p.family("kmodx_tainted_unloads_total", "counter", "Unloads of modules that tainted the kernel, by taint flags.");
    for (const auto& t : s.tainted) p.sample({{"module", t.module}, {"taint", t.taint}}, t.count);

    p.family("kmodx_degraded_runs_total", "counter",
             "Module actions kmodx ran without one of its services (no dedup, lock timed out, dedup disabled).");
    for (const auto& d : s.degraded) p.sample({{"flags", degraded_names(d.bits)}, {"reason", d.reason}}, d.count);

    debugfs_families(p, s);
    return p.out;
}

}  // namespace kmodx::stats
