// SPDX-License-Identifier: LGPL-2.1-or-later
// What modprobe.d could change about one probe, read the way libkmod 30's
// config parser reads it (continuation lines joined, '#' comments,
// whitespace-separated words, fnmatch() of a line's module pattern), for the
// answers kmodx gives without libkmod (modprobe/kernel_call.hpp). Every
// doubt counts as "could change it": the caller then asks libkmod.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::modprobe {

struct ConfigQuery {
    std::string target;                // an alias line for it would redirect the lookup
    std::vector<std::string> modules;  // options/install/softdep/blacklist for these would change the probe
    // TARGET is no module, so libkmod's lookup reaches the install and
    // remove commands before modules.alias: a command for it redirects too.
    bool through_commands = false;
    // The caller planned the softdeps itself (modprobe/probe_list.hpp):
    // softdep lines do not count.
    bool softdeps_planned = false;
};

// One file libkmod may read as configuration, with what it says.
struct ConfigFile {
    std::string name;  // its base name
    std::string text;
    // libkmod reads it the same in every release kmodx follows: a `.conf`
    // file (or modules.softdep) of a directory libkmod 30 reads, its name in
    // no other directory (the first directory's file would hide the others).
    bool read_as_is = false;
    // It has a line libkmod reports when it reads its configuration
    // (config_file() finds out, once per file, not once per query).
    bool complains = false;
};

// A ConfigFile with what it says: its text read once for complaints.
ConfigFile config_file(std::string name, std::string text, bool read_as_is);

// Every modprobe.d file libkmod 30 reads (and /usr/lib/modprobe.d), plus
// MODULE_DIR/modules.softdep when WITH_SOFTDEP_FILE; nullopt when a file or
// directory cannot be read (libkmod would skip it, we cannot tell what it
// says).
std::optional<std::vector<ConfigFile>> read_config_files(const std::string& module_dir, bool with_softdep_file);

// Whether one of FILES has a line that matters to the query.
bool config_files_affect(const std::vector<ConfigFile>& files, const ConfigQuery& q);

// Calls FN with each logical line of a config text (lines ending in '\\'
// joined to the next, as libkmod reads them) until it returns true; whether
// one did.
bool any_config_line(std::string_view text, const std::function<bool(std::string_view)>& fn);

// Whether one config text has a line that matters to the query. Names are
// libkmod's normalised module names ('_', not '-').
bool config_text_affects(std::string_view text, const ConfigQuery& q);

// The alias half alone: whether an alias line's pattern matches NAME.
bool config_text_aliases(std::string_view text, const std::string& name);

// Every modprobe.d file libkmod 30 reads (and /usr/lib/modprobe.d), plus
// MODULE_DIR/modules.softdep when the query names modules. True too when a
// file or directory cannot be read: libkmod would skip it, we cannot tell
// what it says.
bool config_may_affect(const ConfigQuery& q, const std::string& module_dir);

// Whether the kernel command line could carry options for one of MODULES
// ("name.param=value"): any "name." in it, '-' and '_' alike.
bool cmdline_may_affect(std::string_view cmdline, const std::vector<std::string>& modules);

// Whether the kernel command line could blacklist one of MODULES
// (`modprobe.blacklist=a,b`, which libkmod adds to modprobe.d's blacklist):
// one of the names anywhere in a line that has `modprobe.blacklist`.
bool cmdline_may_blacklist(std::string_view cmdline, const std::vector<std::string>& modules);

}  // namespace kmodx::modprobe
