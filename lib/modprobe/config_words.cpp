// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modprobe/config_words.hpp"

namespace kmodx::modprobe {

std::string_view next_config_word(std::string_view& rest, bool& ended) {
    const std::size_t b = rest.find_first_not_of("\t ");
    if (b == std::string_view::npos) {
        rest = {};
        ended = true;
        return {};
    }
    rest.remove_prefix(b);
    const std::size_t e = rest.find_first_of("\t ");
    const std::string_view word = rest.substr(0, e);
    ended = e == std::string_view::npos;
    rest = ended ? std::string_view{} : rest.substr(e + 1);
    return word;
}

std::optional<std::string> libkmod_underscores(std::string_view s) {
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

}  // namespace kmodx::modprobe
