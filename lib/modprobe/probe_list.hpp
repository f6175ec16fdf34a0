// SPDX-License-Identifier: LGPL-2.1-or-later
// libkmod's probe list for one module, made without libkmod for the answers
// of modprobe/kernel_call.hpp: the module's dependencies from modules.dep,
// each with its softdeps around it, then the module with its own, softdeps
// recursed with a visited mark per module name, each softdep name looked up
// in full (it may be an alias). The facts are libkmod's
// (__kmod_module_get_probe_list and __kmod_module_fill_softdep, the same in
// kmod 30 and 34.2; weakdeps play no part in a probe). Anything kmodx cannot
// tell for certain makes the list nullopt, and libkmod answers.
#pragma once

#include <kmodx/kernel.hpp>

#include "core/module_index.hpp"
#include "modprobe/config_scan.hpp"
#include "modprobe/insert.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::modprobe {

// What the kernel and udev ask for, and what a softdep may name: module
// names, aliases (fs-xfs, char-major-10-232) and modaliases (pci:v...,
// cpu:type:x86,...). Paths, and names with a byte libkmod's index walk
// reads as a signed char, a space, a pattern character or a backslash, are
// for libkmod.
bool request_name(std::string_view s);

// What one request reads once: the configuration and depmod's indexes.
class ProbeSources {
public:
    // DEPS: MODULE_DIR's modules.dep.bin, mapped already.
    static std::optional<ProbeSources> open(const std::string& module_dir, module_index::IndexFile deps);

    const std::string& module_dir() const { return module_dir_; }
    const std::vector<ConfigFile>& config() const { return config_; }
    const module_index::IndexFile& deps() const { return *deps_; }

    // The modules libkmod's lookup of NAME (a softdep's name, normalised)
    // gives, in its order: none when nothing names one; nullopt when the
    // answer involves what kmodx leaves to libkmod (a modprobe.d alias or
    // command for it, a builtin module, an unreadable index).
    std::optional<std::vector<std::string>> lookup(const std::string& name);

private:
    ProbeSources(std::string module_dir, std::vector<ConfigFile> config, module_index::IndexFile deps)
        : module_dir_(std::move(module_dir)), config_(std::move(config)), deps_(std::move(deps)) {}

    std::string module_dir_;
    std::vector<ConfigFile> config_;
    std::optional<module_index::IndexFile> deps_;
    std::optional<module_index::IndexFile> aliases_;  // mapped on first need
};

// One module of a probe list.
struct ProbeEntry {
    std::string name;
    std::string path;
    bool required = false;  // the module asked for or one of its modules.dep dependencies
    bool target = false;
};

struct ProbeList {
    std::vector<ProbeEntry> entries;     // libkmod's order, a module twice when libkmod lists it twice
    std::vector<std::string> dep_files;  // files libkmod opens by path while listing: each must exist
    // Every module listed and every name a softdep gave: options, install
    // commands or blacklists for them are libkmod's to apply.
    std::vector<std::string> names;
};

// NAME's probe list; nullopt when unsure.
std::optional<ProbeList> probe_list(const std::string& name, ProbeSources& src);

// The plan libkmod's dry run gives for LIST at this moment: modules live
// skipped in silence (the target kept: the step runner checks it again),
// the others planned with no options. nullopt when a module is coming,
// going or a builtin directory, or a dependency file is gone.
std::optional<Plan> plan_from_list(const ProbeList& list, Kernel& kernel);

}  // namespace kmodx::modprobe
