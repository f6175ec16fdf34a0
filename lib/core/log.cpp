// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/kmod_compat.hpp>
#include <kmodx/log.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace kmodx::log {
namespace {

bool g_syslog = false;
int g_priority = LOG_WARNING;

std::string prio_name(int prio) {
    switch (prio) {
        case LOG_CRIT: return "FATAL";
        case LOG_ERR: return "ERROR";
        case LOG_WARNING: return "WARNING";
        case LOG_NOTICE: return "NOTICE";
        case LOG_INFO: return "INFO";
        case LOG_DEBUG: return "DEBUG";
        default: {
            char buf[16];
            std::snprintf(buf, sizeof buf, "LOG-%03d", prio);
            return buf;
        }
    }
}

void emit(int prio, const char* fmt, va_list ap) {
    char* msg = nullptr;
    if (vasprintf(&msg, fmt, ap) < 0) return;
    const std::string name = prio_name(prio);
    if (g_syslog) syslog(prio, "%s: %s", name.c_str(), msg);
    else std::fprintf(stderr, "%s: %s: %s", program_invocation_short_name, name.c_str(), msg);
    std::free(msg);
}

// libkmod's messages as kmod's tools print them (tools/log.c's log_kmod):
// with where they came from only when kmod is built with debug messages.
// Debian 12 builds kmod 30 with them (--enable-debug), Debian 13 builds 34.2
// without (meson's debug-messages=false): "PROG: ERROR: MESSAGE" alone.
void kmod_sink(void*, int prio, const char* file, int line, const char* fn, const char* fmt, va_list ap) {
    if constexpr (kmod34) {
        emit(prio, fmt, ap);
        return;
    }
    char* msg = nullptr;
    if (vasprintf(&msg, fmt, ap) < 0) return;
    const std::string name = prio_name(prio);
    if (g_syslog) syslog(prio, "%s: %s:%d %s() %s", name.c_str(), file, line, fn, msg);
    else
        std::fprintf(stderr, "%s: %s: %s:%d %s() %s", program_invocation_short_name, name.c_str(), file, line, fn, msg);
    std::free(msg);
}

}  // namespace

void open(bool use_syslog) {
    struct stat st;
    // The kernel starts modprobe with no fds at all: writing to fd 2 could
    // land in whatever file the process opened first.
    if (!use_syslog && fstat(STDERR_FILENO, &st) != 0) use_syslog = true;
    g_syslog = use_syslog;
    if (g_syslog) openlog(program_invocation_short_name, LOG_CONS, LOG_DAEMON);
}

void close() {
    if (g_syslog) closelog();
}

bool using_syslog() { return g_syslog; }

void set_priority(int priority) { g_priority = priority; }
int priority() { return g_priority; }

void attach(kmod_ctx* ctx) {
    kmod_set_log_priority(ctx, g_priority);
    kmod_set_log_fn(ctx, kmod_sink, nullptr);
}

void printf(int prio, const char* fmt, ...) {
    if (prio > g_priority) return;
    va_list ap;
    va_start(ap, fmt);
    emit(prio, fmt, ap);
    va_end(ap);
}

}  // namespace kmodx::log
