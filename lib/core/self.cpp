// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/self.hpp"

#include <pthread.h>
#include <termios.h>
#include <unistd.h>

#include <initializer_list>

namespace kmodx::self {
namespace {

// -1 (as uid_t: no user has it) means "not asked yet".
pid_t g_pid = -1;
uid_t g_euid = static_cast<uid_t>(-1);

void forget() {
    g_pid = -1;
    g_euid = static_cast<uid_t>(-1);
}

// Registered before the first answer is kept, so no fork() child keeps a
// parent's answer.
void watch_forks() {
    static const bool registered = ::pthread_atfork(nullptr, nullptr, forget) == 0;
    (void)registered;
}

}  // namespace

pid_t pid() {
    if (g_pid < 0) {
        watch_forks();
        g_pid = ::getpid();
    }
    return g_pid;
}

uid_t euid() {
    if (g_euid == static_cast<uid_t>(-1)) {
        watch_forks();
        g_euid = ::geteuid();
    }
    return g_euid;
}

// Not any terminal: boot scripts and the storms of early boot write to
// /dev/console, a terminal too, but none owns it. A person's shell owns its
// terminal: it is the controlling terminal of the session (tcgetsid()
// answers only for that one).
bool at_terminal() {
    for (int fd : {STDIN_FILENO, STDERR_FILENO})
        if (::isatty(fd) == 1 && ::tcgetsid(fd) != -1) return true;
    return false;
}

}  // namespace kmodx::self
