// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modprobe/probe_list.hpp"

#include "modprobe/kernel_call.hpp"
#include "modprobe/softdep_config.hpp"

#include <kmodx/module_name.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <set>

namespace kmodx::modprobe {
namespace {

// A list no real module tree gives: a loop kmodx misread, say.
constexpr std::size_t kMaxEntries = 4096;

// The recursion of __kmod_module_get_probe_list (get) and
// __kmod_module_fill_softdep (fill).
class Lister {
public:
    explicit Lister(ProbeSources& src) : src_(src) {}

    bool get(const std::string& name, bool top) {
        if (!visited_.insert(name).second) return true;
        auto value = module_index::lookup(src_.deps().image(), name);
        // No modules.dep entry: builtin or missing, libkmod's to tell.
        if (!value || !*value) return false;
        auto line = parse_dep_line(**value, src_.module_dir());
        if (!line) return false;
        if (top) {
            // Set before any softdep can reach them, as libkmod sets them.
            required_.insert(name);
            for (const Step& d : line->deps) required_.insert(d.name);
            target_ = name;
        }
        for (const Step& d : line->deps) {
            list_.dep_files.push_back(d.path);
            list_.names.push_back(d.name);
        }
        for (const Step& d : line->deps)
            if (!fill(d.name, d.path)) return false;
        return fill(name, line->path);
    }

    ProbeList take() && {
        for (ProbeEntry& e : list_.entries) {
            e.required = required_.contains(e.name);
            e.target = e.name == target_;
        }
        return std::move(list_);
    }

private:
    // NAME with its softdeps around it (libkmod does not mark it visited).
    bool fill(const std::string& name, const std::string& path) {
        auto sd = softdeps_of(src_.config(), name);
        if (!sd) return false;
        auto pre = modules_of(sd->pre);
        auto post = modules_of(sd->post);
        if (!pre || !post) return false;
        for (const std::string& m : *pre)
            if (!get(m, false)) return false;
        if (list_.entries.size() >= kMaxEntries) return false;
        list_.entries.push_back(ProbeEntry{name, path});
        list_.names.push_back(name);
        for (const std::string& m : *post)
            if (!get(m, false)) return false;
        return true;
    }

    // libkmod's lookup_softdep(): each name's modules, in turn; a name that
    // gives none adds nothing.
    std::optional<std::vector<std::string>> modules_of(const std::vector<std::string>& names) {
        std::vector<std::string> out;
        for (const std::string& n : names) {
            if (!request_name(n)) return std::nullopt;
            auto key = normalized_alias(n);
            if (!key) return std::nullopt;
            auto mods = src_.lookup(*key);
            if (!mods) return std::nullopt;
            list_.names.push_back(*key);
            out.insert(out.end(), mods->begin(), mods->end());
        }
        return out;
    }

    ProbeSources& src_;
    ProbeList list_;
    std::set<std::string> visited_;
    std::set<std::string> required_;
    std::string target_;
};

}  // namespace

bool request_name(std::string_view s) {
    return !s.empty() && s.find('/') == std::string_view::npos && std::all_of(s.begin(), s.end(), [](char c) {
        return c > ' ' && c < 0x7f && c != '*' && c != '?' && c != '[' && c != ']' && c != '\\';
    });
}

std::optional<ProbeSources> ProbeSources::open(const std::string& module_dir, module_index::IndexFile deps) {
    auto config = read_config_files(module_dir, true);
    if (!config) return std::nullopt;
    return ProbeSources(module_dir, std::move(*config), std::move(deps));
}

std::optional<std::vector<std::string>> ProbeSources::lookup(const std::string& name) {
    // libkmod's lookup order: modprobe.d aliases, modules.dep (names without
    // ':'), modules.symbols, install and remove commands, modules.alias,
    // modules.builtin, modules.builtin.alias.
    if (name.starts_with("symbol:")) return std::nullopt;
    if (config_files_affect(config_, ConfigQuery{name, {}, true})) return std::nullopt;
    if (name.find(':') == std::string::npos) {
        auto indexed = module_index::contains(deps_->image(), name);
        if (!indexed) return std::nullopt;
        if (*indexed) return std::vector<std::string>{name};
    }
    if (!aliases_) {
        auto f = module_index::IndexFile::open(module_dir_ + "/modules.alias.bin");
        if (!f) return std::nullopt;  // missing too: libkmod reports that lookup's failure
        aliases_.emplace(std::move(*f));
    }
    auto aliased = module_index::lookup_wild(aliases_->image(), name);
    if (!aliased) return std::nullopt;
    if (!aliased->empty()) return std::move(*aliased);
    // A builtin module would be listed, and skipped as in the kernel.
    auto builtin = module_index::file_contains(module_dir_ + "/modules.builtin.bin", name);
    if (!builtin || *builtin) return std::nullopt;
    auto builtin_aliased = module_index::file_lookup_wild(module_dir_ + "/modules.builtin.alias.bin", name);
    if (!builtin_aliased || !builtin_aliased->empty()) return std::nullopt;
    return std::vector<std::string>{};
}

std::optional<ProbeList> probe_list(const std::string& name, ProbeSources& src) {
    Lister lister(src);
    if (!lister.get(name, true)) return std::nullopt;
    return std::move(lister).take();
}

std::optional<Plan> plan_from_list(const ProbeList& list, Kernel& kernel) {
    for (const std::string& f : list.dep_files) {
        // libkmod makes each dependency from its path, which must exist.
        struct stat st;
        if (::stat(f.c_str(), &st) < 0) return std::nullopt;
    }
    Plan plan;
    for (const ProbeEntry& e : list.entries) {
        if (!e.target) {
            const ModuleState s = kernel.module_state(e.name);
            if (s == ModuleState::Live) continue;  // libkmod skips it in silence
            // libkmod reads a directory without initstate as builtin; let it.
            if (s != ModuleState::Absent) return std::nullopt;
        }
        Step step;
        step.name = e.name;
        step.path = e.path;
        step.required = e.required;
        step.target = e.target;
        plan.steps.push_back(std::move(step));
    }
    return plan;
}

}  // namespace kmodx::modprobe
