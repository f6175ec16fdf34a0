// SPDX-License-Identifier: LGPL-2.1-or-later
// Entry points of the five commands. Each parses its own argv (argv[0] is the
// command name) and returns the process exit status.
#pragma once

namespace kmodx::tools {

int modprobe_main(int argc, char** argv);
int insmod_main(int argc, char** argv);
int rmmod_main(int argc, char** argv);
int lsmod_main(int argc, char** argv);
int modinfo_main(int argc, char** argv);
// `kmodx udev ...`: kmodx's own, not a command name (tools/udev.cpp).
int udev_main(int argc, char** argv);

}  // namespace kmodx::tools
