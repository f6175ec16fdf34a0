// SPDX-License-Identifier: LGPL-2.1-or-later
// modinfo's output in two halves: what kmod prints before it reads the
// module's metadata (name/filename) and what it prints from it, so a module
// whose metadata cannot be read still shows its filename line first.
#pragma once

#include <kmodx/modinfo.hpp>

namespace kmodx::modinfo {

// wants_info turns false when the head is all there is (-F filename).
std::string render_head(std::string_view name, const std::optional<std::string>& filename, const Options& opts,
                        bool& wants_info);
std::string render_body(const std::vector<InfoField>& info, const Options& opts, std::vector<std::string>& errors);

}  // namespace kmodx::modinfo
