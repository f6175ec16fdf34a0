// SPDX-License-Identifier: LGPL-2.1-or-later
// `modprobe --stats --compare[=N]`: this boot beside another (docs/stats.md,
// "Boot against boot"). Built from the two boots' summaries, so every figure
// means what it means in `--stats`.
#include <kmodx/saturating.hpp>
#include <kmodx/stats_report.hpp>

#include "stats/json_writer.hpp"
#include "stats/text_layout.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace kmodx::stats {
namespace {

std::map<std::string_view, const Summary::ModuleLoads*> loads_by_module(const Summary& s) {
    std::map<std::string_view, const Summary::ModuleLoads*> m;
    for (const auto& l : s.loads) m.emplace(l.module, &l);
    return m;
}

std::uint64_t mean_ns(const Summary::ModuleLoads& l) { return l.loads ? l.total_ns / l.loads : 0; }

std::map<std::string, std::uint64_t, std::less<>> failures_by_module(const Summary& s) {
    std::map<std::string, std::uint64_t, std::less<>> m;
    for (const auto& f : s.failures) m[f.module] = saturating_add(m[f.module], f.count);
    return m;
}

std::vector<Comparison::Count> counts(const Summary& now, const Summary& before) {
    using R = Summary::ByRequester;
    auto both = [&](const char* name, const char* label, std::uint64_t R::*field) {
        return Comparison::Count{name, label, before.over_requesters(field), now.over_requesters(field)};
    };
    return {
        both("requests", "Load requests", &R::requests),
        {"commands", "Commands", before.commands, now.commands},
        both("loaded", "Loaded", &R::loaded),
        both("suppressed", "Duplicates suppressed", &R::suppressed),
        both("kernel_duplicates", "Duplicates in kernel", &R::kernel_duplicates),
        both("failed", "Failed", &R::failed),
        both("cached_failures", "Cached failures", &R::cached_failures),
        both("not_found", "Not found", &R::not_found),
    };
}

// Module names, as many to a line as 80 columns hold, after a TAB.
void names(std::string& out, const std::vector<std::string>& list) {
    if (list.empty()) return none(out);
    std::string line;
    for (const auto& n : list) {
        const std::string shown = text_escape(n);
        if (!line.empty() && 8 + line.size() + 1 + shown.size() > 80) out += '\t' + line + '\n', line.clear();
        line += (line.empty() ? "" : " ") + shown;
    }
    out += '\t' + line + '\n';
}

}  // namespace

Comparison compare(const Summary& now, const Summary& before) {
    Comparison c;
    c.boot = now.boot, c.against = before.boot;
    c.boot_id = now.boot_id, c.against_id = before.boot_id;
    const auto a = loads_by_module(before), b = loads_by_module(now);
    for (const auto& [m, l] : b) {
        auto it = a.find(m);
        if (it == a.end()) {
            c.only_now.emplace_back(m);
            continue;
        }
        const std::uint64_t was = mean_ns(*it->second), is = mean_ns(*l);
        if (is >= was + Comparison::kSlowerNs && is >= was + was / 2) c.slower.push_back({std::string(m), was, is});
    }
    for (const auto& [m, l] : a)
        if (!b.contains(m)) c.only_before.emplace_back(m);
    std::stable_sort(c.slower.begin(), c.slower.end(),
                     [](const auto& x, const auto& y) { return x.now_ns - x.before_ns > y.now_ns - y.before_ns; });
    const auto fa = failures_by_module(before), fb = failures_by_module(now);
    for (const auto& [m, n] : fb) {
        auto it = fa.find(m);
        const std::uint64_t was = it == fa.end() ? 0 : it->second;
        if (n > was) c.more_failures.push_back({m, was, n});
    }
    c.counts = counts(now, before);
    return c;
}

std::string render_compare_text(const Comparison& c) {
    std::string out = "Boot " + std::to_string(c.boot) + " (" + text_escape(c.boot_id) + ") against boot " +
                      std::to_string(c.against) + " (" + text_escape(c.against_id) + "):\n";
    const std::string now = "boot " + std::to_string(c.boot), before = "boot " + std::to_string(c.against);
    heading(out, ("Loaded only in " + now + ":").c_str());
    names(out, c.only_now);
    heading(out, ("Loaded only in " + before + ":").c_str());
    names(out, c.only_before);
    heading(out, "Slower loads (mean load time up by half and by 10 ms or more):");
    row(out, {"Module", "Before-ms", "Now-ms"});
    for (const auto& s : c.slower) row(out, {text_escape(s.module), ms(s.before_ns), ms(s.now_ns)});
    if (c.slower.empty()) none(out);
    heading(out, "Failing more often:");
    row(out, {"Module", "Before", "Now"});
    for (const auto& f : c.more_failures)
        row(out, {text_escape(f.module), std::to_string(f.before), std::to_string(f.now)});
    if (c.more_failures.empty()) none(out);
    heading(out, "Counts:");
    row(out, {"Figure", "Before", "Now"});
    for (const auto& n : c.counts) row(out, {n.label, std::to_string(n.before), std::to_string(n.now)});
    return out;
}

std::string render_compare_json(const Comparison& c) {
    Json j;
    j.open('{');
    j.u("schema_version", 1);
    j.i("boot", c.boot);
    j.s("boot_id", c.boot_id);
    j.i("against", c.against);
    j.s("against_id", c.against_id);
    for (auto [key, list] : {std::pair{"only_now", &c.only_now}, std::pair{"only_before", &c.only_before}}) {
        j.key(key);
        j.open('[');
        for (const auto& m : *list) j.elem_str(m);
        j.close(']');
    }
    object_array(j, "slower", c.slower, [&](const auto& s) {
        j.s("module", s.module);
        j.u("before_ns", s.before_ns);
        j.u("now_ns", s.now_ns);
    });
    object_array(j, "more_failures", c.more_failures, [&](const auto& f) {
        j.s("module", f.module);
        j.u("before", f.before);
        j.u("now", f.now);
    });
    j.key("counts");
    j.open('{');
    for (const auto& n : c.counts) {
        j.key(n.name);
        j.open('{');
        j.u("before", n.before);
        j.u("now", n.now);
        j.close('}');
    }
    j.close('}');
    j.close('}');
    j.out += '\n';
    return j.out;
}

}  // namespace kmodx::stats
