// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modprobe/kernel_call.hpp"

#include "core/module_index.hpp"
#include "kernel/sysfs.hpp"
#include "modprobe/config_scan.hpp"
#include "modprobe/fatal_log.hpp"
#include "modprobe/probe_list.hpp"
#include "stats/load_event.hpp"
#include "stats/recorder.hpp"

#include <kmodx/log.hpp>
#include <kmodx/messages.hpp>
#include <kmodx/module_name.hpp>

#include <sys/utsname.h>

#include <algorithm>
#include <set>
#include <string_view>
#include <vector>

namespace kmodx::modprobe {
namespace {

// Module names as depmod writes them.
bool plain_name(std::string_view s) {
    return !s.empty() && s.size() < 256 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// The options of the kernel's call (`modprobe -q -- NAME`) and of udev's
// (`modprobe -bq MODALIAS`), and nothing that changes their answer.
bool kernel_style_call(const Options& o) {
    return o.action == Action::Insert && !o.all && o.args.size() == 1 && o.extra_options.empty() && o.quiet &&
           o.verbosity < LOG_ERR && !o.first_time && !o.ignore_loaded && !o.show && !o.dry_run &&
           o.config_paths.empty() && o.dirname.empty() && o.kversion.empty() && request_name(o.args[0]);
}

// What a load may carry that only libkmod's probe handles, -b aside: a
// module reached through an alias is checked against the blacklists anyway
// (kmod always passes KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY), so -b adds
// nothing there.
bool plain_load_but_blacklist(const Options& o) {
    return !o.ignore_install && !o.force_vermagic && !o.force_modversion;
}

bool plain_load(const Options& o) { return !o.use_blacklist && plain_load_but_blacklist(o); }

// Whether modprobe.d (or modules.softdep) or the kernel command line could
// change a probe of Q.modules; BLACKLISTS: `modprobe.blacklist=` too.
bool settings_may_affect(const ConfigQuery& q, const std::vector<ConfigFile>& config, Kernel& kernel, bool blacklists) {
    if (!q.modules.empty()) {
        auto cmdline = kernel.cmdline();
        if (!cmdline || cmdline_may_affect(*cmdline, q.modules)) return true;
        if (blacklists && cmdline_may_blacklist(*cmdline, q.modules)) return true;
    }
    return config_files_affect(config, q);
}

std::optional<int> answer_live(const std::string& name, const std::string& module_dir) {
    auto indexed = module_index::file_contains(module_dir + "/modules.dep.bin", name);
    if (!indexed || !*indexed) return std::nullopt;
    // kmod's lookup tries modprobe.d aliases before modules.dep.
    if (config_may_affect(ConfigQuery{name, {}}, module_dir)) return std::nullopt;
    stats::record(stats::simple_event("modprobe", name, stats::Outcome::AlreadyLive));
    return 0;
}

// Whether index FILE has nothing for KEY: a missing file counts as empty,
// as libkmod skips it; nullopt when it cannot be read as an index.
std::optional<std::vector<std::string>> wild_or_missing(const std::string& file, const std::string& key) {
    auto r = module_index::file_lookup_wild(file, key);
    if (!r) {
        if (r.error().code == ENOENT) return std::vector<std::string>{};
        return std::nullopt;
    }
    return std::move(*r);
}

// The list's modules from entry FROM on, probed the way kmodx's normal path
// probes each (modprobe/insert.cpp): libkmod plans it when its turn comes,
// kmodx carries the plan out, the events are the ones that path records.
// Returns the last probe's result.
int probe_rest_with_libkmod(const std::string& given, std::size_t from, const Options& opts, Kernel& kernel) {
    auto ctx = make_context(opts);
    if (!ctx) return -ENOMEM;
    kmod_list* raw = nullptr;
    int err = kmod_module_new_from_lookup(ctx->get(), given.c_str(), &raw);
    ModuleList list(raw);
    if (err >= 0) err = -ENOENT;  // a list that has shrunk since: nothing probed
    std::size_t at = 0;
    kmod_list* l;
    kmod_list_foreach(l, list.get()) {
        if (at++ < from) continue;
        ModulePtr mod = module_of(l);
        err = insert_one(ctx->get(), mod.get(), opts, kernel, {});
    }
    return err;
}

// The modules /proc/modules shows live; empty when it can't be read. Asked
// about a list of several modules (a CPU modalias names about twenty), one
// read of it answers for all those it shows live, where each initstate
// costs an open, a read and a close; the rest are asked one by one.
std::set<std::string, std::less<>> shown_live(Kernel& kernel) {
    std::set<std::string, std::less<>> live;
    auto text = kernel.proc_modules();
    if (!text) return live;
    sysfs::each_proc_module(*text, [&](const sysfs::ProcModule& m) {
        if (m.state == "Live") live.emplace(m.name);
        return true;
    });
    return live;
}
constexpr std::size_t kManyModules = 4;

// One module of an alias's list, as found before anything ran.
struct Listed {
    std::string name;
    std::optional<ProbeList> list;  // set when it was absent: its plan passed the checks
};

// The modules an alias's lookup gives, each probed in order as kmod's
// insmod() does (a module listed twice is probed twice), the exit status
// the last probe's. Everything is decided before anything is loaded: each
// module is live, or absent with a probe list kmodx can make
// (modprobe/probe_list.hpp: modules.dep and softdeps), and no modprobe.d
// line (softdeps aside) nor `MOD.param=` names a module or softdep of any
// list; no blacklist names one, modprobe.d's or `modprobe.blacklist=`, as
// kmod checks the blacklists of a module reached through an alias even
// without -b. Then each in turn: live by now (an earlier plan loaded it, or
// another process did) is an already_live event, as libkmod's probe
// records it; absent, its plan made again from the module states of that
// moment, as libkmod's probe plans at its turn. Only another process can
// make a plan impossible meanwhile (a module coming or going, a file gone):
// the modules from there on then go through libkmod's probe, one by one,
// exactly as kmodx's normal path would have probed them at that point; the
// modules before stay probed once, as kmod probes them.
std::optional<int> answer_listed(const std::string& given, const std::string& name,
                                 const std::vector<std::string>& modules, const std::string& module_dir, Kernel& kernel,
                                 const Options& opts) {
    auto deps = module_index::IndexFile::open(module_dir + "/modules.dep.bin");  // once for the list
    if (!deps) return std::nullopt;
    std::vector<Listed> list;
    bool any_cold = false;
    const auto live = modules.size() >= kManyModules ? shown_live(kernel) : std::set<std::string, std::less<>>{};
    for (const std::string& m : modules) {
        // A module without a modules.dep entry may be builtin (no event)
        // or missing: libkmod's to tell.
        auto dep_value = module_index::lookup(deps->image(), m);
        if (!dep_value || !*dep_value) return std::nullopt;
        const ModuleState s = live.contains(m) ? ModuleState::Live : kernel.module_state(m);
        if (s != ModuleState::Live && (s != ModuleState::Absent || !plain_load_but_blacklist(opts)))
            return std::nullopt;
        list.push_back(Listed{m, std::nullopt});
        if (s != ModuleState::Live) {
            any_cold = true;
            list.back().list = ProbeList{};  // made below, once the sources are read
        }
    }
    if (!any_cold) {  // all live: no probe goes further
        if (config_may_affect(ConfigQuery{name, {}, true}, module_dir)) return std::nullopt;
        for (const Listed& e : list)
            stats::record(stats::simple_event("modprobe", e.name, stats::Outcome::AlreadyLive));
        return 0;
    }
    auto src = ProbeSources::open(module_dir, std::move(*deps));
    if (!src) return std::nullopt;
    // Options for the alias itself would apply to the modules it gives.
    ConfigQuery q{name, {name}, true, true};
    for (Listed& e : list) {
        if (!e.list) continue;
        e.list = probe_list(e.name, *src);
        if (!e.list) return std::nullopt;
        q.modules.insert(q.modules.end(), e.list->names.begin(), e.list->names.end());
    }
    if (settings_may_affect(q, src->config(), kernel, true)) return std::nullopt;
    for (const Listed& e : list)
        if (e.list && !plan_from_list(*e.list, kernel)) return std::nullopt;

    int err = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const Listed& e = list[i];
        const ModuleState s = kernel.module_state(e.name);
        if (s == ModuleState::Live) {
            stats::record(stats::simple_event("modprobe", e.name, stats::Outcome::AlreadyLive));
            err = 0;
            continue;
        }
        // A module live before and gone now had its settings unchecked.
        std::optional<Plan> plan;
        if (s == ModuleState::Absent && e.list) plan = plan_from_list(*e.list, kernel);
        if (!plan) return probe_rest_with_libkmod(given, i, opts, kernel) < 0 ? 1 : 0;
        err = carry_out(*plan, e.name, opts, kernel);
    }
    return err < 0 ? 1 : 0;
}

// A name that is no module: an alias the kernel asks for (fs-xfs,
// char-major-10-232, net-pf-10) or a modalias udev asks for. libkmod 30
// looks it up in modprobe.d's aliases, modules.dep (names without ':'),
// modules.symbols ("symbol:" names), install and remove commands,
// modules.alias, modules.builtin and modules.builtin.alias, and stops at the
// first that names a module. Answered here when the answer is certain:
// - modules.alias gives modules: answer_listed;
// - only builtin modules: exit 0 with nothing to record (nothing to probe);
// - nothing at all: kmod says it found no module (quiet here) and exits 1.
std::optional<int> answer_alias(const std::string& given, const std::string& name, const std::string& module_dir,
                                Kernel& kernel, const Options& opts) {
    if (name.starts_with("symbol:")) return std::nullopt;
    if (name.find(':') == std::string::npos) {
        auto indexed = module_index::file_contains(module_dir + "/modules.dep.bin", name);
        if (!indexed || *indexed) return std::nullopt;
    }
    auto modules = wild_or_missing(module_dir + "/modules.alias.bin", name);
    if (!modules) return std::nullopt;
    // The modprobe.d aliases and commands come first in kmod's lookup: an
    // answer from modules.alias stands only when none matches (one scan of
    // modprobe.d for that and the modules' own lines).
    if (!modules->empty()) return answer_listed(given, name, *modules, module_dir, kernel, opts);
    if (config_may_affect(ConfigQuery{name, {}, true}, module_dir)) return std::nullopt;
    auto builtin = module_index::file_contains(module_dir + "/modules.builtin.bin", name);
    if (!builtin && builtin.error().code != ENOENT) return std::nullopt;
    if (builtin && *builtin) return 0;
    auto builtin_aliased = wild_or_missing(module_dir + "/modules.builtin.alias.bin", name);
    if (!builtin_aliased) return std::nullopt;
    for (const std::string& m : *builtin_aliased) {
        // One with a module file would be probed (and recorded) as one.
        auto indexed = module_index::file_contains(module_dir + "/modules.dep.bin", m);
        if (!indexed || *indexed) return std::nullopt;
    }
    if (!builtin_aliased->empty()) return 0;
    stats::record_not_found("modprobe", given);
    action_log(action_log_priority(false), "%s", messages::module_not_found_in(given, module_dir).c_str());
    return 1;
}

}  // namespace

std::optional<DepLine> parse_dep_line(std::string_view line, const std::string& module_dir) {
    auto path = module_index::dep_value_path(line, module_dir);
    if (!path) return std::nullopt;
    DepLine out;
    out.path = std::move(*path);
    std::set<std::string> seen{module_name_of_file(out.path)};
    std::string_view rest = line.substr(line.find(':') + 1);
    const char* ws = " \t";
    while (true) {
        const auto b = rest.find_first_not_of(ws);
        if (b == std::string_view::npos) break;
        rest.remove_prefix(b);
        const auto e = std::min(rest.find_first_of(ws), rest.size());
        Step d;
        d.path = module_index::module_file_path(rest.substr(0, e), module_dir);
        d.name = module_name_of_file(d.path);
        rest.remove_prefix(e);
        if (d.name.empty() || !seen.insert(d.name).second) return std::nullopt;
        out.deps.push_back(std::move(d));
    }
    std::reverse(out.deps.begin(), out.deps.end());
    return out;
}

std::optional<int> answer_kernel_call(const Options& opts, Kernel& kernel) {
    if (!kernel_style_call(opts)) return std::nullopt;
    const std::string& given = opts.args[0];
    auto name = normalized_alias(given);
    if (!name) return std::nullopt;
    struct utsname u;
    if (::uname(&u) < 0) return std::nullopt;
    const std::string module_dir = std::string("/lib/modules/") + u.release;
    if (!plain_name(given)) return answer_alias(given, *name, module_dir, kernel, opts);
    // Cheapest first: one stat of /sys/module tells which answer to try.
    const ModuleState state = kernel.module_state(*name);
    if (state == ModuleState::Live) {
        if (auto status = answer_live(*name, module_dir)) return status;
        return answer_alias(given, *name, module_dir, kernel, opts);
    }
    // No index libkmod could read: its own lookup reports it.
    auto deps = module_index::IndexFile::open(module_dir + "/modules.dep.bin");
    if (!deps) return std::nullopt;
    auto dep_value = module_index::lookup(deps->image(), *name);
    if (!dep_value) return std::nullopt;
    if (!*dep_value) return answer_alias(given, *name, module_dir, kernel, opts);
    if (state != ModuleState::Absent || !plain_load(opts)) return std::nullopt;
    auto src = ProbeSources::open(module_dir, std::move(*deps));
    if (!src) return std::nullopt;
    auto list = probe_list(*name, *src);
    if (!list) return std::nullopt;
    if (settings_may_affect(ConfigQuery{*name, list->names, false, true}, src->config(), kernel, false))
        return std::nullopt;
    auto plan = plan_from_list(*list, kernel);
    if (!plan) return std::nullopt;
    return carry_out(*plan, *name, opts, kernel) < 0 ? 1 : 0;
}

}  // namespace kmodx::modprobe
