// SPDX-License-Identifier: LGPL-2.1-or-later
// Runs another program and waits for it: kmodx's own commands that hand a
// step to the system's tool (udevadm, update-initramfs). Module loading never
// does; install commands go through system(3) as kmod's do.
#pragma once

#include <kmodx/result.hpp>

#include <string>
#include <vector>

namespace kmodx {

// ARGV[0] is looked up in PATH; stdio is inherited. Returns the exit status
// (128 + the signal for one that was killed), or why it could not start
// (ENOENT: not installed).
Result<int> run_program(const std::vector<std::string>& argv);

}  // namespace kmodx
