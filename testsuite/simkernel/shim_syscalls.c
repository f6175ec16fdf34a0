// SPDX-License-Identifier: LGPL-2.1-or-later
/* The module syscalls as glibc functions and through syscall(2), and delete_module. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

long sk_delete(const char* name, unsigned int flags) {
    sk_init();
    if (!sk_env.rootlen) return sk_real.syscall(SYS_delete_module, name, flags);
    struct sk_config cfg;
    sk_config_load(&cfg);
    char nm[SK_NAMELEN] = "", v[64];
    int err = 0;
    const char* outcome = "-";
    if (!name) {
        err = EFAULT;
        goto log;
    }
    snprintf(nm, sizeof nm, "%s", name);
    sk_lock();
    struct sk_table t;
    sk_table_read(&t);
    struct sk_mod* m = sk_table_find(&t, nm);
    if (m && m->state == SK_COMING && sk_reap(&t, nm)) {
        sk_table_free(&t);
        sk_table_read(&t);
        m = sk_table_find(&t, nm);
    }
    if (!m) err = ENOENT;
    else if (m->holders[0]) /* other modules depend on us */ err = EWOULDBLOCK;
    else if (m->state != SK_LIVE) err = EBUSY;
    else if (sk_config_mod(&cfg, "fail_remove", nm, v, sizeof v))
        err = sk_errno_from_name(v) ? sk_errno_from_name(v) : EBUSY;
    else if (m->refcnt > 0) /* no CONFIG_MODULE_FORCE_UNLOAD: O_TRUNC does not help */ err = EWOULDBLOCK;
    if (!err) {
        m->state = SK_GOING;
        sk_sysfs_set(nm, "initstate", "going\n");
        sk_table_write(&t);
        if (cfg.unload_ns) {
            sk_unlock();
            sk_sleep_ns(cfg.unload_ns);
            sk_lock();
            sk_table_free(&t);
            sk_table_read(&t);
            m = sk_table_find(&t, nm);
        }
        long long size = m ? (long long)m->size : 0;
        sk_teardown(&t, nm);
        sk_mem_add(-size, -size);
        outcome = "removed";
    }
    sk_table_free(&t);
    sk_unlock();
log:
    sk_log("delete_module", nm, err, 0, 0, 0, 0, flags, "-", outcome);
    sk_config_free(&cfg);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

/* The file named by ENV_NAME opened for appending, or -1 when unset. */
static int open_log(const char* env_name) {
    const char* path = getenv(env_name);
    if (!path || !*path) return -1;
    sk_init();
    return sk_real.openat(AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

/* A lost line shows as a difference in what the caller reads; nothing to recover. */
static void append_close(int fd, const char* line, int n) {
    if (n > 0 && write(fd, line, (size_t)n) < 0) {
    }
    close(fd);
}

/* SIMKERNEL_TIME_LOG=FILE: each module call appends the nanoseconds it spent
 * in the simulated kernel, so a benchmark can tell the kernel's share of a
 * tool's time from the tool's own. */
static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Opens the log before it reads the clock, so the open counts as the
 * kernel's time and not the tool's. */
static void note_time(long long start) {
    int fd = open_log("SIMKERNEL_TIME_LOG");
    if (fd < 0) return;
    char line[32];
    append_close(fd, line, snprintf(line, sizeof line, "%lld\n", now_ns() - start));
}

/* The simulated kernel's own reads and locks are not the caller's: no injected faults. */
static long load(int is_finit, int fd, const void* buf, unsigned long len, const char* params, int flags) {
    long long t = now_ns();
    sk_fault_guard++;
    long r = sk_load(is_finit, fd, buf, len, params, flags);
    sk_fault_guard--;
    int saved = errno;
    note_time(t);
    errno = saved;
    return r;
}

static long unload(const char* name, unsigned int flags) {
    long long t = now_ns();
    sk_fault_guard++;
    long r = sk_delete(name, flags);
    sk_fault_guard--;
    int saved = errno;
    note_time(t);
    errno = saved;
    return r;
}

/* SIMKERNEL_ENTRY_LOG=FILE: one line per module call, "CALL libc" or "CALL syscall".
 * A tool that interposes libc sees only the glibc functions, so the two entry
 * points are not interchangeable; tests compare a tool's with kmod's. */
static void note_entry(const char* call, const char* via) {
    int fd = open_log("SIMKERNEL_ENTRY_LOG");
    if (fd < 0) return;
    char line[64];
    append_close(fd, line, snprintf(line, sizeof line, "%s %s\n", call, via));
}

SK_EXPORT int init_module(void* image, unsigned long len, const char* params) {
    note_entry("init_module", "libc");
    return (int)load(0, -1, image, len, params, 0);
}

SK_EXPORT int finit_module(int fd, const char* params, int flags) {
    note_entry("finit_module", "libc");
    return (int)load(1, fd, NULL, 0, params, flags);
}

SK_EXPORT int delete_module(const char* name, unsigned int flags) {
    note_entry("delete_module", "libc");
    return (int)unload(name, flags);
}

SK_EXPORT long syscall(long nr, ...) {
    va_list ap;
    long a[6];
    va_start(ap, nr);
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    switch (nr) {
        case SYS_init_module:
            note_entry("init_module", "syscall");
            return load(0, -1, (const void*)a[0], (unsigned long)a[1], (const char*)a[2], 0);
        case SYS_finit_module:
            note_entry("finit_module", "syscall");
            return load(1, (int)a[0], NULL, 0, (const char*)a[1], (int)a[2]);
        case SYS_delete_module:
            note_entry("delete_module", "syscall");
            return unload((const char*)a[0], (unsigned int)a[1]);
    }
    sk_init();
    return sk_real.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
