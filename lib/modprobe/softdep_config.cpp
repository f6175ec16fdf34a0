#include "modprobe/softdep_config.hpp"

#include <fnmatch.h>

namespace kmodx::modprobe {
namespace {

// strtok_r(..., "\t ") as libkmod splits a line's command and pattern.
std::string_view next_token(std::string_view& rest, bool& ended) {
    const std::size_t b = rest.find_first_not_of("\t ");
    if (b == std::string_view::npos) {
        rest = {};
        ended = true;
        return {};
    }
    rest.remove_prefix(b);
    const std::size_t e = rest.find_first_of("\t ");
    std::string_view tok = rest.substr(0, e);
    // strtok_r ends the token on its delimiter and goes on after it.
    ended = e == std::string_view::npos;
    rest = ended ? std::string_view{} : rest.substr(e + 1);
    return tok;
}

bool softdep_command(std::string_view line) {
    bool ended = false;
    return !line.starts_with('#') && next_token(line, ended) == "softdep";
}

bool c_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// libkmod's underscores(): '-' becomes '_' outside brackets; an unbalanced
// bracket makes the line a bad one.
std::optional<std::string> underscored(std::string_view s) {
    std::string out(s);
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '[') {
            const std::size_t close = out.find(']', i);
            if (close == std::string::npos) return std::nullopt;
            i = close;
        } else if (out[i] == ']') {
            return std::nullopt;
        } else if (out[i] == '-') {
            out[i] = '_';
        }
    }
    return out;
}

}  // namespace

std::optional<SoftdepLine> parse_softdep_line(std::string_view line) {
    if (line.empty() || line[0] == '#') return std::nullopt;
    bool ended = false;
    if (next_token(line, ended) != "softdep" || ended) return std::nullopt;
    const std::string_view pattern = next_token(line, ended);
    if (pattern.empty() || line.empty()) return std::nullopt;  // no softdeps: a bad line
    auto p = underscored(pattern);
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
        if (word == "pre:")
            into = &out.pre;
        else if (word == "post:")
            into = &out.post;
        else if (into)
            into->emplace_back(word);
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
