#include "modprobe/kernel_call.hpp"

#include "core/module_index.hpp"
#include "modprobe/config_scan.hpp"
#include "stats/load_event.hpp"
#include "stats/recorder.hpp"

#include <kmodx/log.hpp>
#include <kmodx/module_name.hpp>

#include <sys/stat.h>
#include <sys/utsname.h>

#include <algorithm>
#include <set>

namespace kmodx::modprobe {
namespace {

// Module names as depmod writes them; anything else (aliases with ':' or
// '*', paths) is for libkmod.
bool plain_name(std::string_view s) {
    return !s.empty() && s.size() < 256 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// The options of the kernel's call and nothing that changes its answer.
bool kernel_style_call(const Options& o) {
    return o.action == Action::Insert && !o.all && o.args.size() == 1 && o.extra_options.empty() && o.quiet &&
           o.verbosity < LOG_ERR && !o.first_time && !o.ignore_loaded && !o.show && !o.dry_run &&
           o.config_paths.empty() && o.dirname.empty() && o.kversion.empty() && plain_name(o.args[0]);
}

// What else a load may carry that only libkmod's probe handles.
bool plain_load(const Options& o) {
    return !o.use_blacklist && !o.ignore_install && !o.force_vermagic && !o.force_modversion;
}

std::optional<int> answer_live(const std::string& name, const std::string& module_dir) {
    auto indexed = module_index::file_contains(module_dir + "/modules.dep.bin", name);
    if (!indexed || !*indexed) return std::nullopt;
    // kmod's lookup tries modprobe.d aliases before modules.dep.
    if (config_may_affect(ConfigQuery{name, {}}, module_dir)) return std::nullopt;
    stats::record(stats::simple_event("modprobe", name, stats::Outcome::AlreadyLive));
    return 0;
}

// An alias the kernel asks for (fs-xfs, char-major-10-232, net-pf-10), all of
// whose modules are live: the commonest alias request at boot. libkmod 30
// looks a name up in modprobe.d's aliases, modules.dep, install and remove
// commands, then modules.alias; so this answers only when the name is no
// module, no config line names it or its modules, and no pattern in
// modules.alias could add a module to the exact key's list. Then every
// module of the list is live and kmod's probe of each returns at once.
std::optional<int> answer_live_alias(const std::string& name, const std::string& module_dir, Kernel& kernel) {
    auto listed = module_index::file_lookup_all_plain(module_dir + "/modules.alias.bin", name);
    if (!listed || !*listed || (*listed)->empty()) return std::nullopt;
    const std::vector<std::string>& modules = **listed;
    for (const std::string& m : modules) {
        if (kernel.module_state(m) != ModuleState::Live) return std::nullopt;
        // libkmod records a module without a modules.dep entry as builtin.
        auto indexed = module_index::file_contains(module_dir + "/modules.dep.bin", m);
        if (!indexed || !*indexed) return std::nullopt;
    }
    ConfigQuery q{name, modules, true};
    if (config_may_affect(q, module_dir)) return std::nullopt;
    // Modules reached through an alias are subject to blacklists, the
    // kernel command line's modprobe.blacklist= too (libkmod reads it).
    auto cmdline = kernel.cmdline();
    if (!cmdline || cmdline->find("modprobe.blacklist") != std::string::npos) return std::nullopt;
    for (const std::string& m : modules) stats::record(stats::simple_event("modprobe", m, stats::Outcome::AlreadyLive));
    return 0;
}

// NAME's plan from DEP_VALUE, its modules.dep line.
std::optional<Plan> plan_without_libkmod(const std::string& name, std::string_view dep_value,
                                         const std::string& module_dir, Kernel& kernel) {
    auto line = parse_dep_line(dep_value, module_dir);
    if (!line) return std::nullopt;
    ConfigQuery q{name, {name}};
    for (const Step& d : line->deps) q.modules.push_back(d.name);
    auto cmdline = kernel.cmdline();
    if (!cmdline || cmdline_may_affect(*cmdline, q.modules)) return std::nullopt;
    if (config_may_affect(q, module_dir)) return std::nullopt;

    Plan plan;
    for (const Step& d : line->deps) {
        // libkmod makes each dependency from its path, which must exist.
        struct stat st;
        if (::stat(d.path.c_str(), &st) < 0) return std::nullopt;
        const ModuleState s = kernel.module_state(d.name);
        if (s == ModuleState::Live) continue;  // libkmod skips it in silence
        // libkmod reads a directory without initstate as builtin; let it.
        if (s != ModuleState::Absent) return std::nullopt;
        plan.steps.push_back(d);
    }
    Step target;
    target.name = name;
    target.path = line->path;
    target.target = true;
    plan.steps.push_back(std::move(target));
    for (Step& s : plan.steps) s.required = true;  // modules.dep's own: no softdeps here
    return plan;
}

}  // namespace

std::optional<DepLine> parse_dep_line(std::string_view line, const std::string& module_dir) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    auto absolute = [&](std::string_view p) {
        return p.starts_with('/') ? std::string(p) : module_dir + "/" + std::string(p);
    };
    DepLine out;
    out.path = absolute(line.substr(0, colon));
    std::set<std::string> seen{module_name_of_file(out.path)};
    std::string_view rest = line.substr(colon + 1);
    const char* ws = " \t";
    while (true) {
        const auto b = rest.find_first_not_of(ws);
        if (b == std::string_view::npos) break;
        rest.remove_prefix(b);
        const auto e = std::min(rest.find_first_of(ws), rest.size());
        Step d;
        d.path = absolute(rest.substr(0, e));
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
    const std::string name = canonical_module_name(opts.args[0]);
    // Cheapest first: one stat of /sys/module tells which answer to try.
    const ModuleState state = kernel.module_state(name);
    if (state != ModuleState::Live && (state != ModuleState::Absent || !plain_load(opts))) return std::nullopt;
    struct utsname u;
    if (::uname(&u) < 0) return std::nullopt;
    const std::string module_dir = std::string("/lib/modules/") + u.release;
    if (state == ModuleState::Live) return answer_live(name, module_dir);
    // No index libkmod could read: its own lookup reports it.
    auto dep_value = module_index::file_lookup(module_dir + "/modules.dep.bin", name);
    if (!dep_value) return std::nullopt;
    if (!*dep_value) return answer_live_alias(name, module_dir, kernel);
    auto plan = plan_without_libkmod(name, **dep_value, module_dir, kernel);
    if (!plan) return std::nullopt;
    log::set_priority(opts.verbosity);
    return carry_out(*plan, name, opts, kernel) < 0 ? 1 : 0;
}

}  // namespace kmodx::modprobe
