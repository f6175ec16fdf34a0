// SPDX-License-Identifier: LGPL-2.1-or-later
// Module names as the kernel and libkmod compare them: '-' and '_' are the
// same character, so every component that keys on a name (plans, stats,
// config matching) must spell it one way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kmodx {

// NAME with every '-' read as '_'.
std::string canonical_module_name(std::string name);

// An alias as libkmod's lookup normalises it: '-' read as '_' except
// inside [...]; nullopt where libkmod refuses it (a ']' outside brackets, a
// '[' never closed) or where it would cut it (PATH_MAX).
std::optional<std::string> normalized_alias(std::string_view alias);

// A module's name from its file's path, as libkmod names it: the base name
// up to its first '.', canonical.
std::string module_name_of_file(std::string_view path);

}  // namespace kmodx
