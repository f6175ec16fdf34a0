// SPDX-License-Identifier: LGPL-2.1-or-later
// The text side of modinfo, kept apart from libkmod so every quirk of kmod
// 30's layout is unit-testable.
#include "modinfo/render.hpp"

#include <algorithm>
#include <cstdlib>

namespace kmodx::modinfo {

std::string field_line(std::string_view key, std::string_view value, char sep) {
    std::string out(key);
    if (sep == '\0') {
        out += '=';
    } else {
        out += ':';
        // kmod passes 15 - len as a printf width; a negative width is read as
        // left-justified, so long keys get |15 - len| spaces, not none.
        const long pad = std::labs(15L - static_cast<long>(key.size()));
        out.append(static_cast<std::size_t>(pad), ' ');
    }
    out += value;
    out += sep;
    return out;
}

std::string label_line(std::string_view label, std::string_view value, char sep) {
    std::string out(label);
    if (out.size() < 16) out.append(16 - out.size(), ' ');
    out += value;
    out += sep;
    return out;
}

bool ParamList::add(std::string_view key, std::string_view value) {
    const auto colon = value.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string_view name = value.substr(0, colon);
    const std::string_view rest = value.substr(colon + 1);
    auto it = std::find_if(params_.begin(), params_.end(), [&](const Param& p) { return p.name == name; });
    if (it == params_.end()) {
        params_.insert(params_.begin(), Param{std::string(name), std::nullopt, std::nullopt});
        it = params_.begin();
    }
    if (key == "parm") it->desc = std::string(rest);
    else it->type = std::string(rest);
    return true;
}

std::string parm_line(const Param& p, char sep, bool with_label) {
    std::string out = with_label ? "parm:           " : "";
    out += p.name;
    if (!p.desc) {
        out += with_label ? ":" : ": (";
        out += p.type.value_or("");
        if (!with_label) out += ')';
    } else {
        out += ':';
        out += *p.desc;
        if (p.type) out += " (" + *p.type + ")";
    }
    out += sep;
    return out;
}

std::string render_head(std::string_view name, const std::optional<std::string>& filename, const Options& opts,
                        bool& wants_info) {
    std::string out;
    const char sep = opts.separator;
    const auto& field = opts.field;
    std::string shown = filename.value_or("(builtin)");
    if (!filename) {
        if (!field) out += label_line("name:", name, sep);
        else if (*field == "name") (out += name) += sep;
    }
    wants_info = true;
    if (field && *field == "filename") {
        (out += shown) += sep;
        wants_info = false;
    } else if (!field) {
        out += label_line("filename:", shown, sep);
    }
    return out;
}

std::string render_body(const std::vector<InfoField>& info, const Options& opts, std::vector<std::string>& errors) {
    std::string out;
    const char sep = opts.separator;
    const auto& field = opts.field;
    ParamList params;
    auto note_param = [&](const InfoField& f) {
        if (!params.add(f.key, f.value))
            errors.push_back("Found invalid \"" + f.key + "=" + f.value + "\": missing ':'\n");
    };

    if (field && *field == "parm") {
        for (const auto& f : info)
            if (f.key == "parm" || f.key == "parmtype") note_param(f);
        for (const auto& p : params.in_print_order()) out += parm_line(p, sep, false);
        return out;
    }
    for (const auto& f : info) {
        if (field) {
            if (f.key == *field) (out += f.value) += sep;
            continue;
        }
        if (f.key == "parm" || f.key == "parmtype") {
            note_param(f);
            continue;
        }
        out += field_line(f.key, f.value, sep);
    }
    if (!field)
        for (const auto& p : params.in_print_order()) out += parm_line(p, sep, true);
    return out;
}

std::string render(std::string_view name, const std::optional<std::string>& filename,
                   const std::vector<InfoField>& info, const Options& opts, std::vector<std::string>& errors) {
    bool wants_info = false;
    std::string out = render_head(name, filename, opts, wants_info);
    if (wants_info) out += render_body(info, opts, errors);
    return out;
}

}  // namespace kmodx::modinfo
