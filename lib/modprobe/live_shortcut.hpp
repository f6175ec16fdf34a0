// The kernel's autoload call, `modprobe -q -- NAME`, mostly finds NAME live:
// at boot one request per CPU arrives for every module. kmod answers it after
// loading libkmod (and through it libcrypto), parsing every modprobe.d file
// and looking NAME up. This answers it without libkmod when the answer is
// certain to be the same: NAME is a module name in modules.dep, no modprobe.d
// alias can redirect it, and /sys/module/NAME says live. kmod then exits 0
// in silence (a live module is not probed further: no blacklist, softdep or
// install command applies). Anything else, or any doubt, goes the full way.
#pragma once

#include <kmodx/kernel.hpp>
#include <kmodx/modprobe.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace kmodx::modprobe {

// The exit status when the shortcut answered, nullopt when libkmod must.
std::optional<int> live_shortcut(const Options& opts, Kernel& kernel);

// Whether a modprobe.d text has an alias line whose pattern matches NAME
// (the module name as libkmod normalises it), the way libkmod's config
// parser reads it: continuation lines joined, '#' comments, whitespace
// separated words, fnmatch() of the alias against NAME. Errs towards true.
bool config_text_aliases(std::string_view text, const std::string& name);

}  // namespace kmodx::modprobe
