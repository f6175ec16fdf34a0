// SPDX-License-Identifier: LGPL-2.1-or-later
// modinfo: module metadata printed exactly as kmod 30's modinfo prints it.
#pragma once

#include <libkmod.h>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::modinfo {

struct Options {
    std::optional<std::string> field;     // -F, or -a/-d/-l/-p/-n
    char separator = '\n';                // -0 makes it '\0'
    bool by_name = false;                 // -m: module name only, no alias or path lookup
    std::optional<std::string> basedir;   // -b
    std::optional<std::string> kversion;  // -k
    std::vector<std::string> targets;
};

// "key:<pad>value<sep>" with kmod's quirk: the pad is |15 - len(key)| spaces
// (printf's negative width), or "key=value\0" under -0.
std::string field_line(std::string_view key, std::string_view value, char sep);
// "name:", "filename:", "parm:" columns: the label left-justified in 16.
std::string label_line(std::string_view label, std::string_view value, char sep);

// parm/parmtype entries merged per parameter name.
struct Param {
    std::string name;
    std::optional<std::string> desc;  // from parm=
    std::optional<std::string> type;  // from parmtype=
};

class ParamList {
public:
    // key is "parm" or "parmtype"; false when value lacks the ':' separator.
    bool add(std::string_view key, std::string_view value);
    // In kmod's order: the parameter seen first last.
    const std::vector<Param>& in_print_order() const { return params_; }

private:
    std::vector<Param> params_;  // newest first
};

// A parameter line: "NAME:DESC (TYPE)" and variants; with_label prefixes the
// "parm:" column (full listing) and shows a type-only entry as "NAME:TYPE",
// without it (-p / -F parm) a type-only entry reads "NAME: (TYPE)".
std::string parm_line(const Param& p, char sep, bool with_label);

struct InfoField {
    std::string key;
    std::string value;
};

// One module's output given its metadata. filename is std::nullopt for a
// builtin. errors receives the "Found invalid ..." diagnostics (text only,
// newline included) that kmod prints on stderr while it goes.
std::string render(std::string_view name, const std::optional<std::string>& filename,
                   const std::vector<InfoField>& info, const Options& opts, std::vector<std::string>& errors);

// Looks every target up and prints it; diagnostics go through kmodx::log.
// Returns the process exit status.
int run(const Options& opts);

}  // namespace kmodx::modinfo
