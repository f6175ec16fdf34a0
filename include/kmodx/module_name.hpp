// Module names as the kernel and libkmod compare them: '-' and '_' are the
// same character, so every component that keys on a name (plans, stats,
// config matching) must spell it one way.
#pragma once

#include <string>
#include <string_view>

namespace kmodx {

// NAME with every '-' read as '_'.
std::string canonical_module_name(std::string name);

// A module's name from its file's path, as libkmod names it: the base name
// up to its first '.', canonical.
std::string module_name_of_file(std::string_view path);

}  // namespace kmodx
