// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modprobe/softdep_config.hpp"

#include "modprobe/config_words.hpp"

#include <fnmatch.h>

namespace kmodx::modprobe {
namespace {

bool softdep_command(std::string_view line) {
    bool ended = false;
    return !line.starts_with('#') && next_config_word(line, ended) == "softdep";
}

bool c_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

std::optional<SoftdepLine> parse_softdep_line(std::string_view line) {
    if (line.empty() || line[0] == '#') return std::nullopt;
    bool ended = false;
    if (next_config_word(line, ended) != "softdep" || ended) return std::nullopt;
    const std::string_view pattern = next_config_word(line, ended);
    if (pattern.empty() || line.empty()) return std::nullopt;  // no softdeps: a bad line
    auto p = libkmod_underscores(pattern);
    if (!p) return std::nullopt;
    SoftdepLine out{std::move(*p), {}, {}};
    std::vector<std::string>* into = nullptr;  // words before pre:/post: are ignored
    std::size_t at = 0;
    while (at < line.size()) {
        while (at < line.size() && c_space(line[at])) ++at;
        std::size_t end = at;
        while (end < line.size() && !c_space(line[end])) ++end;
        const std::string_view word = line.substr(at, end - at);
        at = end;
        if (word.empty()) break;
        if (word == "pre:") into = &out.pre;
        else if (word == "post:") into = &out.post;
        else if (into) into->emplace_back(word);
    }
    return out;
}

std::optional<SoftdepLine> softdeps_of(const std::vector<ConfigFile>& files, const std::string& name) {
    std::optional<SoftdepLine> found;
    bool unsure = false;
    for (const ConfigFile& f : files) {
        std::optional<SoftdepLine> first;  // this file's first match
        any_config_line(f.text, [&](std::string_view l) {
            auto sd = parse_softdep_line(l);
            // A softdep line libkmod rejects is an error it prints, -q or not.
            if (!sd && softdep_command(l)) unsure = true;
            if (!sd || ::fnmatch(sd->pattern.c_str(), name.c_str(), 0) != 0) {
                // A bracket or backslash kmodx does not read as libkmod might.
                if (sd && sd->pattern.find_first_of("[]\\") != std::string::npos) unsure = true;
                return unsure;
            }
            if (sd->pattern.find_first_of("[]\\") != std::string::npos) unsure = true;
            if (!first) first = std::move(sd);
            return unsure;
        });
        if (unsure) return std::nullopt;
        if (!first) continue;
        if (found || !f.read_as_is) return std::nullopt;  // the files' order would decide
        found = std::move(first);
    }
    if (!found) return SoftdepLine{};
    return found;
}

}  // namespace kmodx::modprobe
