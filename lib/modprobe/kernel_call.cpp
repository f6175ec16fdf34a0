#include "modprobe/kernel_call.hpp"

#include "core/module_index.hpp"
#include "modprobe/config_scan.hpp"
#include "modprobe/fatal_log.hpp"
#include "stats/load_event.hpp"
#include "stats/recorder.hpp"

#include <kmodx/log.hpp>
#include <kmodx/messages.hpp>
#include <kmodx/module_name.hpp>

#include <sys/stat.h>
#include <sys/utsname.h>

#include <algorithm>
#include <set>

namespace kmodx::modprobe {
namespace {

// Module names as depmod writes them.
bool plain_name(std::string_view s) {
    return !s.empty() && s.size() < 256 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// What the kernel and udev ask for: module names, aliases (fs-xfs,
// char-major-10-232) and modaliases (pci:v..., cpu:type:x86,...). Paths, and
// names with a byte libkmod's index walk reads as a signed char, a space, a
// pattern character or a backslash, are for libkmod.
bool request_name(std::string_view s) {
    return !s.empty() && s.find('/') == std::string_view::npos &&
           std::all_of(s.begin(), s.end(), [](char c) {
               return c > ' ' && c < 0x7f && c != '*' && c != '?' && c != '[' && c != ']' && c != '\\';
           });
}

// The options of the kernel's call (`modprobe -q -- NAME`) and of udev's
// (`modprobe -bq MODALIAS`), and nothing that changes their answer.
bool kernel_style_call(const Options& o) {
    return o.action == Action::Insert && !o.all && o.args.size() == 1 && o.extra_options.empty() && o.quiet &&
           o.verbosity < LOG_ERR && !o.first_time && !o.ignore_loaded && !o.show && !o.dry_run &&
           o.config_paths.empty() && o.dirname.empty() && o.kversion.empty() && request_name(o.args[0]);
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

// A name that is no module: an alias the kernel asks for (fs-xfs,
// char-major-10-232, net-pf-10) or a modalias udev asks for. libkmod 30
// looks it up in modprobe.d's aliases, modules.dep (names without ':'),
// modules.symbols ("symbol:" names), install and remove commands,
// modules.alias, modules.builtin and modules.builtin.alias, and stops at the
// first that names a module. Answered here when the answer is certain:
// - every module the aliases give is live: kmod probes each, and a module
//   in the kernel returns at once, before blacklists (-b), options or
//   commands are looked at; one already_live event each, as that probe
//   records (a module listed twice is probed twice);
// - only builtin modules: the same, with nothing to record;
// - nothing at all: kmod says it found no module (quiet here) and exits 1.
// A module that is not live is for libkmod's plan.
std::optional<int> answer_alias(const std::string& given, const std::string& name, const std::string& module_dir,
                                Kernel& kernel, const Options& opts) {
    if (name.starts_with("symbol:")) return std::nullopt;
    if (name.find(':') == std::string::npos) {
        auto indexed = module_index::file_contains(module_dir + "/modules.dep.bin", name);
        if (!indexed || *indexed) return std::nullopt;
    }
    if (config_may_affect(ConfigQuery{name, {}, true}, module_dir)) return std::nullopt;
    auto modules = wild_or_missing(module_dir + "/modules.alias.bin", name);
    if (!modules) return std::nullopt;
    if (!modules->empty()) {
        for (const std::string& m : *modules) {
            if (kernel.module_state(m) != ModuleState::Live) return std::nullopt;
            // A module without a modules.dep entry may be builtin (no
            // event) or missing: libkmod's to tell.
            auto indexed = module_index::file_contains(module_dir + "/modules.dep.bin", m);
            if (!indexed || !*indexed) return std::nullopt;
        }
        for (const std::string& m : *modules)
            stats::record(stats::simple_event("modprobe", m, stats::Outcome::AlreadyLive));
        return 0;
    }
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
    log::set_priority(opts.verbosity);
    action_log(action_log_priority(false), "%s", messages::module_not_found_in(given, module_dir).c_str());
    return 1;
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
    auto dep_value = module_index::file_lookup(module_dir + "/modules.dep.bin", *name);
    if (!dep_value) return std::nullopt;
    if (!*dep_value) return answer_alias(given, *name, module_dir, kernel, opts);
    if (state != ModuleState::Absent || !plain_load(opts)) return std::nullopt;
    auto plan = plan_without_libkmod(*name, **dep_value, module_dir, kernel);
    if (!plan) return std::nullopt;
    log::set_priority(opts.verbosity);
    return carry_out(*plan, *name, opts, kernel) < 0 ? 1 : 0;
}

}  // namespace kmodx::modprobe
