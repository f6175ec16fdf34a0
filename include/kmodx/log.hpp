// SPDX-License-Identifier: LGPL-2.1-or-later
// Diagnostics in kmod's format: "PROG: LEVEL: message" on stderr, or
// "LEVEL: message" to syslog (daemon facility) when asked to or when stderr is
// not open, as for the kernel's autoload call which runs with no stdio.
// A message is shown when its priority <= the threshold (LOG_WARNING by
// default; -v raises it, -q lowers it).
#pragma once

#include <libkmod.h>
#include <syslog.h>

#include <string_view>

namespace kmodx::log {

// use_syslog is forced on when fd 2 is not open.
void open(bool use_syslog);
void close();
bool using_syslog();

void set_priority(int priority);
int priority();

// Routes libkmod's own messages through the same sink and threshold.
void attach(kmod_ctx* ctx);

// printf-style, message must carry its own trailing newline (kmod's habit).
void printf(int prio, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// LOG_CRIT prints "FATAL: ..." but, unlike kmod's log_printf, never exits:
// callers return their failure status themselves so cleanup runs. (kmod only
// exits when the message was shown, i.e. not under -q, and carries on
// otherwise; returning 1 right after covers both.)

}  // namespace kmodx::log

#define KMODX_FATAL(...) ::kmodx::log::printf(LOG_CRIT, __VA_ARGS__)
#define KMODX_ERR(...) ::kmodx::log::printf(LOG_ERR, __VA_ARGS__)
#define KMODX_WRN(...) ::kmodx::log::printf(LOG_WARNING, __VA_ARGS__)
#define KMODX_NOTICE(...) ::kmodx::log::printf(LOG_NOTICE, __VA_ARGS__)
#define KMODX_INF(...) ::kmodx::log::printf(LOG_INFO, __VA_ARGS__)
#define KMODX_DBG(...) ::kmodx::log::printf(LOG_DEBUG, __VA_ARGS__)
