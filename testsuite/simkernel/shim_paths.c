// SPDX-License-Identifier: LGPL-2.1-or-later
/* Path redirection: absolute paths under the kernel-facing prefixes are rewritten to ROOT+path
 * so unmodified binaries see the simulated machine. */
#include "shim.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utime.h>
#include <sys/time.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/inotify.h>
#include <sys/utsname.h>

struct sk_real sk_real;
struct sk_env sk_env;

static const char* const default_prefixes[] = {
    "/lib/modules",    "/usr/lib/modules", "/sys/module",         "/sys/kernel/debug",
    "/proc/modules",   "/proc/cmdline",    "/proc/sys/kernel",    "/etc/modprobe.d",
    "/run/modprobe.d", "/lib/modprobe.d",  "/usr/lib/modprobe.d", "/usr/local/lib/modprobe.d",
    "/etc/depmod.d",   "/etc/kmodx.conf",  "/etc/kmodx.d",        "/run/kmodx",
    "/var/lib/kmodx",
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void add_prefix(const char* p, size_t len) {
    while (len > 1 && p[len - 1] == '/') len--;
    if (len == 0 || p[0] != '/' || sk_env.nprefixes >= 64) return;
    sk_env.prefixes[sk_env.nprefixes++] = strndup(p, len);
}

static void do_init(void) {
#define R(f) *(void**)&sk_real.f = dlsym(RTLD_NEXT, #f)
    R(openat);
    R(mkdir);
    R(unlink);
    R(rename);
    R(rmdir);
    R(symlink);
    R(stat);
    R(lstat);
    R(opendir);
    R(fopen);
    R(syscall);
    R(uname);
#undef R
    const char* root = getenv("SIMKERNEL_ROOT");
    if (root && *root) {
        size_t n = 0;
        if (root[0] != '/' && getcwd(sk_env.root, sizeof sk_env.root - 2)) {
            n = strlen(sk_env.root);
            sk_env.root[n++] = '/';
        }
        snprintf(sk_env.root + n, sizeof sk_env.root - n, "%s", root);
        n = strlen(sk_env.root);
        while (n > 1 && sk_env.root[n - 1] == '/') sk_env.root[--n] = '\0';
        sk_env.rootlen = n;
    }
    for (size_t i = 0; i < sizeof default_prefixes / sizeof *default_prefixes; i++)
        add_prefix(default_prefixes[i], strlen(default_prefixes[i]));
    const char* extra = getenv("SIMKERNEL_REDIRECT");
    while (extra && *extra) {
        const char* end = strchrnul(extra, ':');
        add_prefix(extra, (size_t)(end - extra));
        extra = *end ? end + 1 : end;
    }
    __atomic_store_n(&sk_env.inited, 1, __ATOMIC_RELEASE);
}

void sk_init(void) {
    if (!__atomic_load_n(&sk_env.inited, __ATOMIC_ACQUIRE)) pthread_once(&once, do_init);
}

__attribute__((constructor)) static void ctor(void) { sk_init(); }

const char* sk_rewrite(const char* path, char* out) {
    sk_init();
    if (!path || path[0] != '/' || sk_env.rootlen == 0) return path;
    const char* p = path;
    while (p[1] == '/') /* "//lib/modules" is still /lib/modules */
        p++;
    /* /proc/PID/syscall of a process in a simulated load call: what the
     * kernel shows for one blocked in init_module/finit_module. */
    if (strncmp(p, "/proc/", 6) == 0) {
        char* end;
        long pid = strtol(p + 6, &end, 10);
        struct stat st;
        if (end != p + 6 && strcmp(end, "/syscall") == 0 &&
            sk_path(out, PATH_MAX, "/.simkernel/inload/%ld", pid) == 0 && sk_real.stat(out, &st) == 0)
            return out;
    }
    for (int i = 0; i < sk_env.nprefixes; i++) {
        size_t l = strlen(sk_env.prefixes[i]);
        if (strncmp(p, sk_env.prefixes[i], l) != 0 || (p[l] != '\0' && p[l] != '/')) continue;
        if (sk_env.rootlen + strlen(p) >= PATH_MAX) {
            errno = ENAMETOOLONG;
            return path;
        }
        memcpy(out, sk_env.root, sk_env.rootlen);
        strcpy(out + sk_env.rootlen, p);
        return out;
    }
    return path;
}

/* Looks up the next definition lazily; one static pointer per wrapper. */
#define NEXT(ret, name, ...)                             \
    static ret (*next)(__VA_ARGS__);                     \
    if (!next) *(void**)&next = dlsym(RTLD_NEXT, #name); \
    if (!next) {                                         \
        errno = ENOSYS;                                  \
        return (ret)-1;                                  \
    }
#define RW(p)               \
    char p##_buf[PATH_MAX]; \
    p = sk_rewrite(p, p##_buf)

/* One-path functions, macro-generated: TYPE name(ARGS) with the path argument named `path`. */
#define WRAP1(ret, name, proto, args, ...) \
    SK_EXPORT ret name proto {             \
        NEXT(ret, name, __VA_ARGS__);      \
        RW(path);                          \
        return next args;                  \
    }

static int needs_mode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

#define WRAP_OPEN(name)                                    \
    SK_EXPORT int name(const char* path, int flags, ...) { \
        NEXT(int, name, const char*, int, ...);            \
        mode_t mode = 0;                                   \
        if (needs_mode(flags)) {                           \
            va_list ap;                                    \
            va_start(ap, flags);                           \
            mode = va_arg(ap, mode_t);                     \
            va_end(ap);                                    \
        }                                                  \
        RW(path);                                          \
        return next(path, flags, mode);                    \
    }
#define WRAP_OPENAT(name)                                             \
    SK_EXPORT int name(int dirfd, const char* path, int flags, ...) { \
        NEXT(int, name, int, const char*, int, ...);                  \
        mode_t mode = 0;                                              \
        if (needs_mode(flags)) {                                      \
            va_list ap;                                               \
            va_start(ap, flags);                                      \
            mode = va_arg(ap, mode_t);                                \
            va_end(ap);                                               \
        }                                                             \
        RW(path);                                                     \
        return next(dirfd, path, flags, mode);                        \
    }
WRAP_OPEN(open)
WRAP_OPEN(open64)
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

WRAP1(int, __open_2, (const char* path, int flags), (path, flags), const char*, int)
WRAP1(int, __open64_2, (const char* path, int flags), (path, flags), const char*, int)
WRAP1(int, __openat_2, (int fd, const char* path, int flags), (fd, path, flags), int, const char*, int)
WRAP1(int, __openat64_2, (int fd, const char* path, int flags), (fd, path, flags), int, const char*, int)
WRAP1(int, creat, (const char* path, mode_t m), (path, m), const char*, mode_t)
WRAP1(int, creat64, (const char* path, mode_t m), (path, m), const char*, mode_t)
WRAP1(FILE*, fopen, (const char* path, const char* m), (path, m), const char*, const char*)
WRAP1(FILE*, fopen64, (const char* path, const char* m), (path, m), const char*, const char*)
WRAP1(FILE*, freopen, (const char* path, const char* m, FILE* f), (path, m, f), const char*, const char*, FILE*)
WRAP1(FILE*, freopen64, (const char* path, const char* m, FILE* f), (path, m, f), const char*, const char*, FILE*)
WRAP1(int, stat, (const char* path, struct stat* b), (path, b), const char*, struct stat*)
WRAP1(int, lstat, (const char* path, struct stat* b), (path, b), const char*, struct stat*)
WRAP1(int, stat64, (const char* path, struct stat64* b), (path, b), const char*, struct stat64*)
WRAP1(int, lstat64, (const char* path, struct stat64* b), (path, b), const char*, struct stat64*)
WRAP1(int, fstatat, (int fd, const char* path, struct stat* b, int fl), (fd, path, b, fl), int, const char*,
      struct stat*, int)
WRAP1(int, fstatat64, (int fd, const char* path, struct stat64* b, int fl), (fd, path, b, fl), int, const char*,
      struct stat64*, int)
/* Pre-2.33 binaries call the versioned __xstat family (compat symbols only in newer glibc). */
int __xstat(int, const char*, struct stat*);
int __xstat64(int, const char*, struct stat64*);
int __lxstat(int, const char*, struct stat*);
int __lxstat64(int, const char*, struct stat64*);
int __fxstatat(int, int, const char*, struct stat*, int);
int __fxstatat64(int, int, const char*, struct stat64*, int);
#define WRAP_XSTAT(name, proto, args, plain) \
    SK_EXPORT int name proto {               \
        (void)ver;                           \
        RW(path);                            \
        return plain args;                   \
    }
/* On x86_64 the _STAT_VER 1 layout is struct stat, so the modern calls are equivalent; calling
 * the real ones directly avoids a second rewrite. */
static int real_fstatat(int fd, const char* p, struct stat* b, int fl) {
    NEXT(int, fstatat, int, const char*, struct stat*, int);
    return next(fd, p, b, fl);
}
static int real_fstatat64(int fd, const char* p, struct stat64* b, int fl) {
    NEXT(int, fstatat64, int, const char*, struct stat64*, int);
    return next(fd, p, b, fl);
}
WRAP_XSTAT(__xstat, (int ver, const char* path, struct stat* b), (AT_FDCWD, path, b, 0), real_fstatat)
WRAP_XSTAT(__xstat64, (int ver, const char* path, struct stat64* b), (AT_FDCWD, path, b, 0), real_fstatat64)
WRAP_XSTAT(__lxstat, (int ver, const char* path, struct stat* b), (AT_FDCWD, path, b, AT_SYMLINK_NOFOLLOW),
           real_fstatat)
WRAP_XSTAT(__lxstat64, (int ver, const char* path, struct stat64* b), (AT_FDCWD, path, b, AT_SYMLINK_NOFOLLOW),
           real_fstatat64)
WRAP_XSTAT(__fxstatat, (int ver, int fd, const char* path, struct stat* b, int fl), (fd, path, b, fl), real_fstatat)
WRAP_XSTAT(__fxstatat64, (int ver, int fd, const char* path, struct stat64* b, int fl), (fd, path, b, fl),
           real_fstatat64)
WRAP1(int, statx, (int fd, const char* path, int fl, unsigned mask, struct statx* b), (fd, path, fl, mask, b), int,
      const char*, int, unsigned, struct statx*)
WRAP1(int, statfs, (const char* path, struct statfs* b), (path, b), const char*, struct statfs*)
WRAP1(int, statvfs, (const char* path, struct statvfs* b), (path, b), const char*, struct statvfs*)
WRAP1(int, access, (const char* path, int m), (path, m), const char*, int)
WRAP1(int, faccessat, (int fd, const char* path, int m, int fl), (fd, path, m, fl), int, const char*, int, int)
WRAP1(int, euidaccess, (const char* path, int m), (path, m), const char*, int)
WRAP1(int, eaccess, (const char* path, int m), (path, m), const char*, int)
WRAP1(ssize_t, readlink, (const char* path, char* b, size_t n), (path, b, n), const char*, char*, size_t)
WRAP1(ssize_t, readlinkat, (int fd, const char* path, char* b, size_t n), (fd, path, b, n), int, const char*, char*,
      size_t)
WRAP1(DIR*, opendir, (const char* path), (path), const char*)
typedef int (*sk_filter)(const struct dirent*);
typedef int (*sk_cmp)(const struct dirent**, const struct dirent**);
typedef int (*sk_filter64)(const struct dirent64*);
typedef int (*sk_cmp64)(const struct dirent64**, const struct dirent64**);
WRAP1(int, scandir, (const char* path, struct dirent*** l, sk_filter f, sk_cmp c), (path, l, f, c), const char*,
      struct dirent***, sk_filter, sk_cmp)
WRAP1(int, scandir64, (const char* path, struct dirent64*** l, sk_filter64 f, sk_cmp64 c), (path, l, f, c), const char*,
      struct dirent64***, sk_filter64, sk_cmp64)
WRAP1(int, scandirat, (int fd, const char* path, struct dirent*** l, sk_filter f, sk_cmp c), (fd, path, l, f, c), int,
      const char*, struct dirent***, sk_filter, sk_cmp)
WRAP1(int, mkdir, (const char* path, mode_t m), (path, m), const char*, mode_t)
WRAP1(int, mkdirat, (int fd, const char* path, mode_t m), (fd, path, m), int, const char*, mode_t)
WRAP1(int, rmdir, (const char* path), (path), const char*)
WRAP1(int, unlink, (const char* path), (path), const char*)
WRAP1(int, unlinkat, (int fd, const char* path, int fl), (fd, path, fl), int, const char*, int)
WRAP1(int, remove, (const char* path), (path), const char*)
WRAP1(int, chdir, (const char* path), (path), const char*)
WRAP1(int, chmod, (const char* path, mode_t m), (path, m), const char*, mode_t)
WRAP1(int, fchmodat, (int fd, const char* path, mode_t m, int fl), (fd, path, m, fl), int, const char*, mode_t, int)
WRAP1(int, chown, (const char* path, uid_t u, gid_t g), (path, u, g), const char*, uid_t, gid_t)
WRAP1(int, lchown, (const char* path, uid_t u, gid_t g), (path, u, g), const char*, uid_t, gid_t)
WRAP1(int, fchownat, (int fd, const char* path, uid_t u, gid_t g, int fl), (fd, path, u, g, fl), int, const char*,
      uid_t, gid_t, int)
WRAP1(int, truncate, (const char* path, off_t l), (path, l), const char*, off_t)
WRAP1(int, truncate64, (const char* path, off64_t l), (path, l), const char*, off64_t)
WRAP1(int, mkfifo, (const char* path, mode_t m), (path, m), const char*, mode_t)
WRAP1(int, mkfifoat, (int fd, const char* path, mode_t m), (fd, path, m), int, const char*, mode_t)
WRAP1(int, mknod, (const char* path, mode_t m, dev_t d), (path, m, d), const char*, mode_t, dev_t)
WRAP1(int, utimensat, (int fd, const char* path, const struct timespec t[2], int fl), (fd, path, t, fl), int,
      const char*, const struct timespec*, int)
WRAP1(int, utimes, (const char* path, const struct timeval t[2]), (path, t), const char*, const struct timeval*)
WRAP1(int, utime, (const char* path, const struct utimbuf* t), (path, t), const char*, const struct utimbuf*)
WRAP1(int, inotify_add_watch, (int fd, const char* path, uint32_t m), (fd, path, m), int, const char*, uint32_t)

/* Two-path functions: both sides are rewritten (a symlink's target too, per the contract). */
#define WRAP2(name, proto, args, ...) \
    SK_EXPORT int name proto {        \
        NEXT(int, name, __VA_ARGS__); \
        RW(a);                        \
        RW(b);                        \
        return next args;             \
    }
WRAP2(rename, (const char* a, const char* b), (a, b), const char*, const char*)
WRAP2(renameat, (int fa, const char* a, int fb, const char* b), (fa, a, fb, b), int, const char*, int, const char*)
WRAP2(renameat2, (int fa, const char* a, int fb, const char* b, unsigned fl), (fa, a, fb, b, fl), int, const char*, int,
      const char*, unsigned)
WRAP2(link, (const char* a, const char* b), (a, b), const char*, const char*)
WRAP2(linkat, (int fa, const char* a, int fb, const char* b, int fl), (fa, a, fb, b, fl), int, const char*, int,
      const char*, int)
WRAP2(symlink, (const char* a, const char* b), (a, b), const char*, const char*)
WRAP2(symlinkat, (const char* a, int fb, const char* b), (a, fb, b), const char*, int, const char*)

/* realpath must not leak ROOT back to the program: strip it from the answer. */
static char* strip_root(char* res) {
    if (res && sk_env.rootlen > 1 && strncmp(res, sk_env.root, sk_env.rootlen) == 0 && res[sk_env.rootlen] == '/')
        memmove(res, res + sk_env.rootlen, strlen(res + sk_env.rootlen) + 1);
    return res;
}
SK_EXPORT char* realpath(const char* path, char* resolved) {
    NEXT(char*, realpath, const char*, char*);
    RW(path);
    return strip_root(next(path, resolved));
}
SK_EXPORT char* canonicalize_file_name(const char* path) {
    NEXT(char*, canonicalize_file_name, const char*);
    RW(path);
    return strip_root(next(path));
}

SK_EXPORT int uname(struct utsname* u) {
    sk_init();
    if (!sk_real.uname) {
        errno = ENOSYS;
        return -1;
    }
    int r = sk_real.uname(u);
    if (r != 0) return r;
    char rel[sizeof u->release] = "";
    if (sk_env.rootlen) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/proc/sys/kernel/osrelease", sk_env.root);
        int n = sk_read_file(p, rel, sizeof rel);
        if (n < 0) rel[0] = '\0';
    }
    if (!rel[0] && getenv("SIMKERNEL_UNAME_R")) snprintf(rel, sizeof rel, "%s", getenv("SIMKERNEL_UNAME_R"));
    rel[strcspn(rel, " \t\r\n")] = '\0';
    if (rel[0]) snprintf(u->release, sizeof u->release, "%s", rel);
    return 0;
}
