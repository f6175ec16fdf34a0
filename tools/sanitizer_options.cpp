// SPDX-License-Identifier: LGPL-2.1-or-later
// Built into kmodx only in sanitizer builds (docs/sanitizers.md). The
// end-to-end tests start kmodx with a scrubbed environment (env -i), so
// ASAN_OPTIONS and the like never reach it: these defaults do. A finding
// exits 66, which no kmod exit status is, so a test comparing statuses fails
// even when it does not look at stderr. Variables in the environment still
// override these.
#include <fcntl.h>
#include <sys/syscall.h>

namespace {

#define KMODX_UNINSTRUMENTED __attribute__((no_sanitize("address", "undefined", "thread")))

// A system call by instruction: libc's syscall() is wrapped by the simulated
// kernel, and nothing else may be called yet (see traced()).
KMODX_UNINSTRUMENTED long raw_syscall(long nr, long a, long b, long c) {
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = 0;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return ret;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = 0;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
#else
    (void)nr, (void)a, (void)b, (void)c;
    return -1;  // elsewhere: never considered traced
#endif
}

// LeakSanitizer cannot run under ptrace and then fails the process; the
// tests that stop kmodx at exact points run it under strace. This runs while
// the sanitizer runtime is still starting: no interceptor (and none of the
// simulated kernel's wrappers) works yet, nor shadow memory, so it is
// uninstrumented and calls nothing.
KMODX_UNINSTRUMENTED bool traced() {
    static char buf[4096];
    long fd = raw_syscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/status"), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    long n = raw_syscall(SYS_read, fd, reinterpret_cast<long>(buf), sizeof buf - 1);
    raw_syscall(SYS_close, fd, 0, 0);
    if (n <= 0) return false;
    constexpr char kKey[] = "\nTracerPid:";
    for (long i = 0; i + long(sizeof kKey) - 1 < n; ++i) {
        long k = 0;
        while (kKey[k] && buf[i + k] == kKey[k]) ++k;
        if (kKey[k]) continue;
        for (i += k; i < n && (buf[i] == ' ' || buf[i] == '\t'); ++i) {
        }
        return i < n && buf[i] != '0';
    }
    return false;
}

}  // namespace

extern "C" {
KMODX_UNINSTRUMENTED const char* __asan_default_options() {
    return traced() ? "detect_leaks=0:exitcode=66:halt_on_error=1:detect_stack_use_after_return=1"
                    : "detect_leaks=1:exitcode=66:halt_on_error=1:detect_stack_use_after_return=1";
}
const char* __lsan_default_options() { return "exitcode=66"; }
const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1:exitcode=66"; }
const char* __tsan_default_options() { return "halt_on_error=1:exitcode=66:second_deadlock_stack=1"; }
}
