// SPDX-License-Identifier: LGPL-2.1-or-later
/* Shared state in ROOT: the global lock, /proc/modules (the module table), memory accounting,
 * config and small file helpers. Everything goes through the real libc functions. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>

int sk_path(char* out, size_t n, const char* fmt, ...) {
    size_t l = (size_t)snprintf(out, n, "%s", sk_env.root);
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(out + l, n - l, fmt, ap);
    va_end(ap);
    return r < 0 || (size_t)r >= n - l ? -1 : 0;
}

int sk_read_file(const char* path, char* buf, size_t n) {
    int fd = sk_real.openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t got = 0;
    while (got + 1 < n) {
        ssize_t r = read(fd, buf + got, n - 1 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    return (int)got;
}

static int write_all(int fd, const char* d, size_t n) {
    while (n) {
        ssize_t w = write(fd, d, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        d += w;
        n -= (size_t)w;
    }
    return 0;
}

int sk_write_file(const char* path, const char* data) {
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    int fd = sk_real.openat(AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    int r = write_all(fd, data, strlen(data));
    close(fd);
    if (r == 0) r = sk_real.rename(tmp, path);
    if (r != 0) sk_real.unlink(tmp);
    return r;
}

void sk_mkdir_p(const char* path) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char* s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            sk_real.mkdir(p, 0755);
            *s = '/';
        }
    }
    sk_real.mkdir(p, 0755);
}

void sk_rm_rf(const char* path) {
    struct stat st;
    if (sk_real.lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR* d = sk_real.opendir(path);
        struct dirent* e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char c[PATH_MAX];
            snprintf(c, sizeof c, "%s/%s", path, e->d_name);
            sk_rm_rf(c);
        }
        if (d) closedir(d);
        sk_real.rmdir(path);
    } else {
        sk_real.unlink(path);
    }
}

uint64_t sk_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sk_sleep_ns(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int sk_errno_from_name(const char* s) {
    char* end;
    long v = strtol(s, &end, 10);
    if (end != s && *end == '\0') return v > 0 && v < 4096 ? (int)v : 0;
    if (s[0] == '-') s++;
    for (int e = 1; e < 200; e++) {
        const char* n = strerrorname_np(e);
        if (n && strcmp(n, s) == 0) return e;
    }
    return 0;
}

const char* sk_errno_name(int e) {
    if (e == 0) return "-";
    const char* n = strerrorname_np(e);
    return n ? n : "EUNKNOWN";
}

/* ---- config ---- */
static uint64_t parse_ns(const char* v) {
    char* end;
    double d = strtod(v, &end);
    if (!strncmp(end, "ns", 2)) return (uint64_t)d;
    if (!strncmp(end, "us", 2)) return (uint64_t)(d * 1e3);
    if (!strncmp(end, "ms", 2)) return (uint64_t)(d * 1e6);
    if (*end == 's') return (uint64_t)(d * 1e9);
    return (uint64_t)d;
}

void sk_config_load(struct sk_config* c) {
    memset(c, 0, sizeof *c);
    c->model = 61;
    c->load_ns_base = 2000000;
    c->load_ns_per_kib = 2000;
    c->read_ns_per_kib = 100;
    c->unload_ns = 0;
    char p[PATH_MAX];
    sk_path(p, sizeof p, "/.simkernel/config");
    /* Not calloc: sk_read_file ends the text with a NUL, and zeroing 64 KiB
     * (16 pages faulted in) on every process's first call would be a cost of
     * the simulation that a real kernel's uname() does not have. */
    c->text = malloc(65536);
    if (!c->text) return;
    c->text[0] = '\0';
    if (sk_read_file(p, c->text, 65536) < 0) return;
    char v[64];
    if (sk_config_mod(c, "model", NULL, v, sizeof v)) c->model = strstr(v, "6.5") || strtod(v, NULL) >= 6.5 ? 65 : 61;
    if (sk_config_mod(c, "load_ns_base", NULL, v, sizeof v)) c->load_ns_base = parse_ns(v);
    if (sk_config_mod(c, "load_ns_per_kib", NULL, v, sizeof v)) c->load_ns_per_kib = parse_ns(v);
    if (sk_config_mod(c, "read_ns_per_kib", NULL, v, sizeof v)) c->read_ns_per_kib = parse_ns(v);
    if (sk_config_mod(c, "unload_ns", NULL, v, sizeof v)) c->unload_ns = parse_ns(v);
    sk_config_mod(c, "decompress", NULL, c->decompress, sizeof c->decompress);
}

void sk_config_free(struct sk_config* c) { free(c->text); }

const char* sk_config_mod(const struct sk_config* c, const char* key, const char* name, char* buf, size_t n) {
    char want[256];
    snprintf(want, sizeof want, name ? "%s.%s" : "%s", key, name);
    const char* found = NULL;
    for (const char* l = c->text; l && *l;) {
        const char* e = strchrnul(l, '\n');
        while (l < e && (*l == ' ' || *l == '\t')) l++;
        const char* eq = memchr(l, '=', (size_t)(e - l));
        size_t kl = strlen(want);
        if (*l != '#' && eq) {
            const char* ke = eq;
            while (ke > l && (ke[-1] == ' ' || ke[-1] == '\t')) ke--;
            if ((size_t)(ke - l) == kl && !strncmp(l, want, kl)) {
                const char *vs = eq + 1, *ve = e;
                while (vs < ve && (*vs == ' ' || *vs == '\t')) vs++;
                while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r')) ve--;
                snprintf(buf, n, "%.*s", (int)(ve - vs), vs);
                found = buf; /* last one wins, like most config files */
            }
        }
        l = *e ? e + 1 : e;
    }
    return found;
}

void sk_compression(const struct sk_config* c, char* out, size_t n) {
    char p[PATH_MAX];
    sk_path(p, sizeof p, "/sys/module/compression");
    if (sk_read_file(p, out, n) < 0) snprintf(out, n, "%s", c->decompress);
    out[strcspn(out, " \t\r\n")] = '\0';
}

/* ---- global lock ---- */
static __thread int lock_fd = -1; /* per thread: flock excludes per open file */
static __thread int lock_depth;

void sk_lock(void) {
    if (lock_depth++ > 0) return;
    char p[PATH_MAX];
    sk_path(p, sizeof p, "/.simkernel");
    sk_real.mkdir(p, 0755);
    sk_path(p, sizeof p, "/.simkernel/lock");
    lock_fd = sk_real.openat(AT_FDCWD, p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    while (lock_fd >= 0 && flock(lock_fd, LOCK_EX) != 0 && errno == EINTR)
        ;
}

void sk_unlock(void) {
    if (--lock_depth > 0) return;
    if (lock_fd >= 0) close(lock_fd);
    lock_fd = -1;
}

/* ---- the module table ---- */
static const char* state_word(enum sk_state s) {
    return s == SK_LIVE ? "Live" : s == SK_COMING ? "Loading" : "Unloading";
}

int sk_table_read(struct sk_table* t) {
    t->n = 0;
    /* Not calloc: every row is filled before use, and zeroing the whole table on
     * each call (2 MiB) is a cost of the simulation that a kernel, whose module
     * list stays in memory, does not pay; it would weigh on every tool alike. */
    t->m = malloc(SK_MAXMODS * sizeof *t->m);
    if (!t->m) return -1;
    char p[PATH_MAX];
    sk_path(p, sizeof p, "/proc/modules");
    FILE* f = sk_real.fopen(p, "re");
    if (!f) return 0;
    char line[2048];
    while (t->n < SK_MAXMODS && fgets(line, sizeof line, f)) {
        struct sk_mod* m = &t->m[t->n];
        char holders[1024], state[32];
        if (sscanf(line, "%63s %lu %d %1023s %31s", m->name, &m->size, &m->refcnt, holders, state) != 5) continue;
        snprintf(m->holders, sizeof m->holders, "%s", strcmp(holders, "-") ? holders : "");
        m->state = !strcmp(state, "Live") ? SK_LIVE : !strcmp(state, "Loading") ? SK_COMING : SK_GOING;
        const char *open = strrchr(line, '('), *close = open ? strchr(open, ')') : NULL;
        m->taint[0] = '\0';
        if (open && close && close - open - 1 < (long)sizeof m->taint)
            snprintf(m->taint, sizeof m->taint, "%.*s", (int)(close - open - 1), open + 1);
        t->n++;
    }
    fclose(f);
    return 0;
}

int sk_table_write(const struct sk_table* t) {
    size_t cap = (size_t)t->n * 1200 + 1;
    char *buf = malloc(cap), *w = buf;
    if (!buf) return -1;
    *w = '\0';
    for (int i = 0; i < t->n; i++) {
        const struct sk_mod* m = &t->m[i];
        w += sprintf(w, "%s %lu %d %s %s 0x0000000000000000", m->name, m->size, m->refcnt,
                     m->holders[0] ? m->holders : "-", state_word(m->state));
        w += m->taint[0] ? sprintf(w, " (%s)\n", m->taint) : sprintf(w, "\n");
    }
    char p[PATH_MAX];
    sk_path(p, sizeof p, "/proc");
    sk_mkdir_p(p);
    sk_path(p, sizeof p, "/proc/modules");
    int r = sk_write_file(p, buf);
    free(buf);
    return r;
}

void sk_table_free(struct sk_table* t) {
    free(t->m);
    t->m = NULL;
    t->n = 0;
}

struct sk_mod* sk_table_find(struct sk_table* t, const char* name) {
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->m[i].name, name)) return &t->m[i];
    return NULL;
}

/* ---- memory accounting ---- */
void sk_mem_add(long long kernel_bytes, long long module_bytes) {
    char p[PATH_MAX], buf[512];
    long long cur = 0, peak = 0, mcur = 0, mpeak = 0;
    sk_path(p, sizeof p, "/.simkernel/state");
    if (sk_read_file(p, buf, sizeof buf) > 0) {
        for (char* l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
            sscanf(l, "cur_bytes=%lld", &cur);
            sscanf(l, "peak_bytes=%lld", &peak);
            sscanf(l, "cur_module_bytes=%lld", &mcur);
            sscanf(l, "peak_module_bytes=%lld", &mpeak);
        }
    }
    cur += kernel_bytes;
    mcur += module_bytes;
    if (cur < 0) cur = 0;
    if (mcur < 0) mcur = 0;
    if (cur > peak) peak = cur;
    if (mcur > mpeak) mpeak = mcur;
    snprintf(buf, sizeof buf, "cur_bytes=%lld\npeak_bytes=%lld\ncur_module_bytes=%lld\npeak_module_bytes=%lld\n", cur,
             peak, mcur, mpeak);
    sk_write_file(p, buf);
}

/* One write(2) per line with O_APPEND: concurrent lines never interleave. */
static void append_line(const char* file, const char* line, int n) {
    char p[PATH_MAX];
    sk_path(p, sizeof p, "/.simkernel");
    sk_real.mkdir(p, 0755);
    sk_path(p, sizeof p, "%s", file);
    int fd = sk_real.openat(AT_FDCWD, p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}

void sk_log_entry(const char* call) {
    char line[128];
    int n = snprintf(line, sizeof line, "%llu\t%d\t%s\n", (unsigned long long)sk_now_ns(), (int)getpid(), call);
    append_line("/.simkernel/entered.log", line, n);
}

/* What /proc/PID/syscall says of a process inside a load call ("NR args...
 * sp pc"); the path rewrite sends a reader there while the file exists. */
void sk_in_load(long nr, const struct sk_config* c) {
    char p[PATH_MAX], v[16];
    sk_path(p, sizeof p, "/.simkernel/inload");
    sk_real.mkdir(p, 0755);
    sk_path(p, sizeof p, "/.simkernel/inload/%d", (int)getpid());
    if (nr < 0) {
        sk_real.unlink(p);
        return;
    }
    int fd = sk_real.openat(AT_FDCWD, p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    char line[96];
    int n = c && sk_config_mod(c, "syscall_shows", NULL, v, sizeof v) && !strcmp(v, "running")
                ? snprintf(line, sizeof line, "running\n")
                : snprintf(line, sizeof line, "%ld 0x0 0x0 0x0 0x0 0x0 0x0 0x7ffc00000000 0x7f0000000000\n", nr);
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}

void sk_log(const char* call, const char* mod, int err, long long file_bytes, long long dec_bytes, long long read_bytes,
            long long alloc_bytes, unsigned flags, const char* inode, const char* outcome) {
    char line[1024];
    int n = snprintf(line, sizeof line, "%llu\t%d\t%s\t%s\t%d\t%s\t%lld\t%lld\t%lld\t%lld\t%u\t%s\t%s\n",
                     (unsigned long long)sk_now_ns(), (int)getpid(), call, mod && *mod ? mod : "-", err ? -1 : 0,
                     sk_errno_name(err), file_bytes, dec_bytes, read_bytes, alloc_bytes, flags, inode ? inode : "-",
                     outcome);
    append_line("/.simkernel/calls.log", line, n);
}
