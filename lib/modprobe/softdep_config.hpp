// SPDX-License-Identifier: LGPL-2.1-or-later
// The softdeps libkmod gives a module, read from modprobe.d and depmod's
// modules.softdep the way libkmod's config parser reads `softdep` lines,
// for the probes kmodx plans itself (modprobe/probe_list.hpp).
#pragma once

#include "modprobe/config_scan.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::modprobe {

// One `softdep PATTERN [pre: NAME...] [post: NAME...]` line. Names are as
// written (libkmod looks each up in full, as modprobe looks up its argument).
struct SoftdepLine {
    std::string pattern;  // '-' made '_' as libkmod makes it
    std::vector<std::string> pre;
    std::vector<std::string> post;
};

// LINE read as libkmod reads a config line: nullopt when it is no softdep
// line libkmod keeps (another command, a comment, no text after the
// pattern, an unbalanced bracket in it).
std::optional<SoftdepLine> parse_softdep_line(std::string_view line);

// The softdeps of module NAME: libkmod takes the first softdep line whose
// pattern matches NAME in the order it read its files. Answered only when
// that order cannot matter: every matching line is in one file, which
// libkmod reads as kmodx does (ConfigFile::read_as_is), and no pattern with
// a bracket or a backslash could match, and no softdep line is one libkmod
// rejects (it says so on stderr). An empty SoftdepLine when none matches;
// nullopt when unsure.
std::optional<SoftdepLine> softdeps_of(const std::vector<ConfigFile>& files, const std::string& name);

}  // namespace kmodx::modprobe
