// SPDX-License-Identifier: LGPL-2.1-or-later
// This process's own pid and effective uid, asked of the kernel once.
// A request that finds its module live makes about seventy system calls,
// and several parts (the stats record, the store's ownership checks, the
// dedup guard) ask the same two questions; on a boot storm every call
// counts. kmodx never changes its uid, and a fork() child (tests do that,
// then setuid) asks afresh.
#pragma once

#include <sys/types.h>

namespace kmodx::self {

pid_t pid();
uid_t euid();
// A person is at a terminal: stdin or stderr is the controlling terminal
// of this process's session (a console a boot script writes to is not).
// Asked each time: only rare paths need it.
bool at_terminal();

}  // namespace kmodx::self
