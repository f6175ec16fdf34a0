// SPDX-License-Identifier: LGPL-2.1-or-later
/* Fault injection on the calls a loader makes around the module syscalls: a blocking flock()
 * interrupted by a signal (EINTR), and read()/pread() of module files that return EINTR or fewer
 * bytes than asked (what a network file system or a signal does). Off unless the config names a
 * percentage; the shim's own calls (its locks, the kernel's read of the module) are never hit. */
#include "shim.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

__thread int sk_fault_guard;

static struct {
    int eintr_flock, eintr_read, short_read; /* percent, 0..100 */
    uint64_t seed;
    int (*flock)(int, int);
    ssize_t (*read)(int, void*, size_t);
    ssize_t (*pread)(int, void*, size_t, off_t);
    ssize_t (*pread64)(int, void*, size_t, off64_t);
} F;

static pthread_once_t reals_once = PTHREAD_ONCE_INIT, faults_once = PTHREAD_ONCE_INIT;
static pid_t rng_pid;
static uint64_t rng_state;

static int percent(const struct sk_config* c, const char* key) {
    char v[32];
    if (!sk_config_mod(c, key, NULL, v, sizeof v)) return 0;
    long p = strtol(v, NULL, 10);
    return p < 0 ? 0 : p > 100 ? 100 : (int)p;
}

/* Read once per process: the keys are for whole runs, and a read of the config on every read()
 * would cost more than the reads themselves. */
static void reals_init(void) {
    *(void**)&F.flock = dlsym(RTLD_NEXT, "flock");
    *(void**)&F.read = dlsym(RTLD_NEXT, "read");
    *(void**)&F.pread = dlsym(RTLD_NEXT, "pread");
    *(void**)&F.pread64 = dlsym(RTLD_NEXT, "pread64");
}

static void faults_init(void) {
    sk_init();
    if (!sk_env.rootlen) return;
    struct sk_config c;
    sk_config_load(&c);
    F.eintr_flock = percent(&c, "eintr.flock");
    F.eintr_read = percent(&c, "eintr.read");
    F.short_read = percent(&c, "short_read");
    char v[32];
    if (sk_config_mod(&c, "seed", NULL, v, sizeof v)) F.seed = strtoull(v, NULL, 0);
    sk_config_free(&c);
}

/* The real functions always; the keys only outside the shim's own calls, since reading the
 * config goes through read() itself. */
static void faults_ready(void) {
    pthread_once(&reals_once, reals_init);
    if (sk_fault_guard) return;
    sk_fault_guard++;
    pthread_once(&faults_once, faults_init);
    sk_fault_guard--;
}

/* splitmix64 over seed and pid: a run is reproducible from its seed, processes differ. */
static uint64_t rnd(void) {
    pid_t pid = getpid();
    if (pid != rng_pid) {
        rng_pid = pid;
        rng_state = F.seed * 0x9e3779b97f4a7c15ull ^ (uint64_t)pid;
    }
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static bool chance(int pct) { return pct > 0 && (int)(rnd() % 100) < pct; }

/* Where FD points, if it is under ROOT and outside the shim's own .simkernel directory. */
static bool fd_under_root(int fd, char* path, size_t n) {
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    long len = sk_real.syscall(SYS_readlinkat, AT_FDCWD, link, path, n - 1);
    if (len <= 0) return false;
    path[len] = '\0';
    if (strncmp(path, sk_env.root, sk_env.rootlen) != 0 || path[sk_env.rootlen] != '/') return false;
    return strncmp(path + sk_env.rootlen, "/.simkernel/", 12) != 0;
}

/* One line per injected fault in ROOT/.simkernel/faults.log ("PID KIND"), so a test can tell
 * that its faults happened. */
static void note_fault(const char* kind) {
    char p[PATH_MAX], line[96];
    sk_path(p, sizeof p, "/.simkernel/faults.log");
    int fd = sk_real.openat(AT_FDCWD, p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    int n = snprintf(line, sizeof line, "%d %s\n", (int)getpid(), kind);
    if (write(fd, line, (size_t)n) < 0) { /* best effort */
    }
    close(fd);
}

static bool is_module_file(int fd) {
    char p[PATH_MAX];
    if (!fd_under_root(fd, p, sizeof p)) return false;
    const char* base = strrchr(p, '/');
    return base && strstr(base, ".ko") != NULL;
}

SK_EXPORT int flock(int fd, int op) {
    faults_ready();
    /* Only a blocking request can be interrupted: LOCK_NB never sleeps in the kernel. */
    if (!sk_fault_guard && F.eintr_flock && !(op & LOCK_NB) && (op & (LOCK_SH | LOCK_EX))) {
        char p[PATH_MAX];
        if (fd_under_root(fd, p, sizeof p) && chance(F.eintr_flock)) {
            note_fault("eintr.flock");
            errno = EINTR;
            return -1;
        }
    }
    return F.flock(fd, op);
}

/* -1/EINTR, a shortened COUNT, or COUNT itself. */
static int read_fault(int fd, size_t* count) {
    if (sk_fault_guard || (!F.eintr_read && !F.short_read) || *count == 0 || !is_module_file(fd)) return 0;
    if (chance(F.eintr_read)) {
        note_fault("eintr.read");
        errno = EINTR;
        return -1;
    }
    if (*count > 1 && chance(F.short_read)) {
        note_fault("short_read");
        *count = 1 + (size_t)(rnd() % (*count - 1));
    }
    return 0;
}

SK_EXPORT ssize_t read(int fd, void* buf, size_t count) {
    faults_ready();
    if (read_fault(fd, &count) < 0) return -1;
    return F.read(fd, buf, count);
}

SK_EXPORT ssize_t pread(int fd, void* buf, size_t count, off_t off) {
    faults_ready();
    if (read_fault(fd, &count) < 0) return -1;
    return F.pread(fd, buf, count, off);
}

SK_EXPORT ssize_t pread64(int fd, void* buf, size_t count, off64_t off) {
    faults_ready();
    if (read_fault(fd, &count) < 0) return -1;
    return F.pread64(fd, buf, count, off);
}
