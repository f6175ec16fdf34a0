#include "core/self.hpp"

#include <pthread.h>
#include <unistd.h>

namespace kmodx::self {
namespace {

pid_t g_pid = -1;
uid_t g_euid = static_cast<uid_t>(-1);
bool g_known_euid = false;

void forget() {
    g_pid = -1;
    g_known_euid = false;
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
    if (!g_known_euid) {
        watch_forks();
        g_euid = ::geteuid();
        g_known_euid = true;
    }
    return g_euid;
}

bool at_terminal() { return ::isatty(STDIN_FILENO) == 1 || ::isatty(STDERR_FILENO) == 1; }

}  // namespace kmodx::self
