// SPDX-License-Identifier: LGPL-2.1-or-later
// kmod's modprobe reports "cannot go on" conditions through one LOG() that is
// FATAL (and exits at once) normally, but only a WARNING under -a, and that
// exits only when the message was actually shown (not under -q). kmodx never
// exits from a log call: this tells the caller whether kmod would have.
#pragma once

#include <kmodx/log.hpp>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace kmodx::modprobe {

// The priority of kmod's LOG() for a run with or without -a.
inline int action_log_priority(bool all) { return all ? LOG_WARNING : LOG_CRIT; }

// Prints like kmod's LOG(); true when kmod would have exited right there.
__attribute__((format(printf, 2, 3))) inline bool action_log(int prio, const char* fmt, ...) {
    char* msg = nullptr;
    va_list ap;
    va_start(ap, fmt);
    const int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0) return false;
    kmodx::log::printf(prio, "%s", msg);
    std::free(msg);
    return prio <= LOG_CRIT && prio <= kmodx::log::priority();
}

}  // namespace kmodx::modprobe
