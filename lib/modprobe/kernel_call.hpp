// SPDX-License-Identifier: LGPL-2.1-or-later
// The kernel's autoload call, `modprobe -q -- NAME`, and udev's,
// `modprobe -bq MODALIAS`, answered without libkmod
// when the answer is certain to be kmod's. kmod answers it after loading
// libkmod (and through it libcrypto) and parsing every modprobe.d file; at
// boot one request per CPU arrives for every module.
//
// - NAME live: kmod exits 0 in silence once the lookup found NAME in
//   modules.dep and no modprobe.d alias redirected it (a live module is not
//   probed further: no blacklist, softdep or install command applies).
// - NAME absent: libkmod's probe list (modprobe/probe_list.hpp): the
//   modules.dep dependencies last to first, then NAME, each with its
//   softdeps (modprobe.d's or modules.softdep's) around it, each module not
//   yet live, no options, when no modprobe.d line has an alias for NAME or
//   options, an install command or a blacklist entry for a module or
//   softdep name of the list, and the kernel command line names none of
//   them. kmodx then carries the plan out the way it carries out libkmod's
//   (modprobe/insert.hpp).
// - NAME an alias or a modalias (the kernel's fs-xfs, udev's `-bq
//   pci:v...`): libkmod's lookup order and wildcard search, answered when
//   all it gives are builtin or there is none; else each module it lists
//   is probed in turn, the last probe giving the status: live ones as
//   above, absent ones planned as a NAME absent is, when no blacklist
//   (modprobe.d's or `modprobe.blacklist=`) names one of them either.
//
// Anything else, or any doubt, goes the full way through libkmod.
#pragma once

#include <kmodx/kernel.hpp>
#include <kmodx/modprobe.hpp>

#include "modprobe/insert.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace kmodx::modprobe {

// The exit status when answered here, nullopt when libkmod must answer.
std::optional<int> answer_kernel_call(const Options& opts, Kernel& kernel);

// libkmod's reading of a modules.dep line ("PATH: DEP DEP..."): paths made
// absolute against MODULE_DIR, the dependencies in load order (the reverse
// of the line's) with their module names. nullopt for a line libkmod would
// refuse or that names one module twice.
struct DepLine {
    std::string path;
    std::vector<Step> deps;  // name and path set
};
std::optional<DepLine> parse_dep_line(std::string_view line, const std::string& module_dir);

}  // namespace kmodx::modprobe
