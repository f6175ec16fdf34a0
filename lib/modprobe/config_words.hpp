// SPDX-License-Identifier: LGPL-2.1-or-later
// How libkmod reads the words of a modprobe.d line, for kmodx's own readers
// of the same lines (config_scan.cpp, softdep_config.cpp): each must split
// and underscore exactly as libkmod does, or an answer made without libkmod
// could differ from kmod's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kmodx::modprobe {

// The next word of REST as strtok_r(..., "\t ") gives it: leading
// separators skipped, the word ended by one separator, which is consumed.
// Empty when no word is left. ENDED says the line ended with this word (no
// separator after it); REST is what follows.
std::string_view next_config_word(std::string_view& rest, bool& ended);

// libkmod's underscores(): '-' becomes '_' outside brackets; a stray ']' or
// an unclosed '[' makes the line a bad one (nullopt).
std::optional<std::string> libkmod_underscores(std::string_view s);

}  // namespace kmodx::modprobe
