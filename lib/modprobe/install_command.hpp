// SPDX-License-Identifier: LGPL-2.1-or-later
// install/remove commands from modprobe.d, run as libkmod runs them.
#pragma once

#include <string>

namespace kmodx::modprobe {

// system(3) with MODPROBE_MODULE set (so /bin/sh -c, SIGINT/SIGQUIT ignored
// while it runs); returns system(3)'s status.
int run_shell_command(const std::string& command, const std::string& module);

}  // namespace kmodx::modprobe
