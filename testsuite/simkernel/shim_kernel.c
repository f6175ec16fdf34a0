// SPDX-License-Identifier: LGPL-2.1-or-later
/* init_module / finit_module: the kernel's load path, step by step, shared across processes
 * through ROOT. See README.md for the order of checks and the accounting. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#define FLAG_IGNORE_VERMAGIC 2
#define FLAG_COMPRESSED 4
#define DEP_WAIT_NS (30ull * 1000000000ull) /* resolve_symbol_wait() */

struct load {
    int is_finit;
    unsigned flags;
    long long file_bytes, dec_bytes, read_bytes, alloc_bytes;
    long long held; /* transient kernel buffers currently accounted */
    char inode[64];
    char name[SK_NAMELEN];
    const char* outcome;
    const struct sk_config* cfg;
};

static void mem(long long kernel_bytes, long long module_bytes) {
    sk_lock();
    sk_mem_add(kernel_bytes, module_bytes);
    sk_unlock();
}

static bool vermagic_ok(const struct sk_image* img) {
    const char* vm = sk_modinfo_next(img, "vermagic", NULL);
    if (!vm) /* no vermagic: accepted as a forced load (CONFIG_MODULE_FORCE_LOAD) */
        return true;
    struct utsname u;
    if (uname(&u) != 0) return false;
    size_t l = strcspn(vm, " ");
    return strlen(u.release) == l && !strncmp(vm, u.release, l);
}

/* Waits (lock released) while NAME is coming. Returns the module's state afterwards. Caller
 * holds the lock and a freshly read table; the table is re-read as needed. */
static struct sk_mod* settle(struct sk_table* t, const char* name, bool* waited, uint64_t deadline) {
    for (;;) {
        struct sk_mod* m = sk_table_find(t, name);
        if (!m || m->state != SK_COMING) return m;
        if (!sk_reap(t, name)) {
            if (deadline && sk_now_ns() > deadline) return m;
            sk_unlock();
            sk_wait_not_coming(name, 0);
            sk_lock();
            *waited = true;
        }
        sk_table_free(t);
        sk_table_read(t);
    }
}

static int read_image(struct load* L, int fd, const void* buf, unsigned long len, unsigned char** out) {
    size_t cap = L->is_finit ? (size_t)L->file_bytes + 1 : len, n = 0;
    unsigned char* data = malloc(cap ? cap : 1);
    if (!data) return ENOMEM;
    if (L->is_finit) { /* kernel_read_file() reads from offset 0, whatever the fd's position */
        for (;;) {
            if (n == cap) {
                unsigned char* nd = realloc(data, cap * 2);
                if (!nd) {
                    free(data);
                    return ENOMEM;
                }
                data = nd;
                cap *= 2;
            }
            ssize_t r = pread(fd, data + n, cap - n, (off_t)n);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                int e = errno;
                free(data);
                return e;
            }
            if (r == 0) break;
            n += (size_t)r;
        }
    } else {
        memcpy(data, buf, len);
        n = len;
    }
    L->read_bytes = (long long)n;
    sk_sleep_ns(L->cfg->read_ns_per_kib * n / 1024);
    *out = data;
    L->dec_bytes = (long long)n;
    return 0;
}

static void add_holders(struct sk_table* t, const struct sk_image* img, const char* name) {
    const char* deps = sk_modinfo_next(img, "depends", NULL);
    char copy[1024], *save = NULL, v[32], h[1024];
    snprintf(copy, sizeof copy, "%s", deps ? deps : "");
    for (char* d = strtok_r(copy, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
        struct sk_mod* m = sk_table_find(t, d);
        if (!m) continue;
        snprintf(h, sizeof h, "%s,%s", name, m->holders);
        snprintf(m->holders, sizeof m->holders, "%s", h);
        m->refcnt++;
        snprintf(v, sizeof v, "%d\n", m->refcnt);
        sk_sysfs_set(d, "refcnt", v);
        sk_sysfs_holder(d, name, true);
    }
}

/* A loader SIGKILLed between making NAME's sysfs directory and writing its table row left the
 * directory (initstate "coming") and maybe holder links and refcounts in its dependencies'
 * sysfs: nothing a real kernel can show, since a killed process's init_module runs to its end.
 * Called with the lock held, NAME absent from the table and its mod lock taken (the loader is
 * gone). A builtin's directory has no initstate and keeps its EINVAL. */
static void clear_debris(struct sk_table* t, const struct sk_image* img, const char* name) {
    char p[PATH_MAX], v[32];
    sk_path(p, sizeof p, "/sys/module/%s/initstate", name);
    if (sk_read_file(p, v, sizeof v) <= 0 || strncmp(v, "coming", 6) != 0) return;
    const char* deps = sk_modinfo_next(img, "depends", NULL);
    char copy[1024], *save = NULL;
    snprintf(copy, sizeof copy, "%s", deps ? deps : "");
    for (char* d = strtok_r(copy, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
        struct sk_mod* m = sk_table_find(t, d);
        if (!m) continue;
        sk_sysfs_holder(d, name, false);
        snprintf(v, sizeof v, "%d\n", m->refcnt);
        sk_sysfs_set(d, "refcnt", v);
    }
    sk_sysfs_remove(name);
}

/* Every dependency must be live; a coming one is waited for like resolve_symbol_wait(). */
static int deps_ready(struct sk_table* t, const struct sk_image* img, bool* waited) {
    const char* deps = sk_modinfo_next(img, "depends", NULL);
    char copy[1024], *save = NULL;
    snprintf(copy, sizeof copy, "%s", deps ? deps : "");
    uint64_t deadline = sk_now_ns() + DEP_WAIT_NS;
    for (char* d = strtok_r(copy, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
        struct sk_mod* m = settle(t, d, waited, deadline);
        if (!m || m->state != SK_LIVE) return ENOENT;
    }
    return 0;
}

/* From the duplicate check to "coming". Called and returns with the lock held. */
static int admit(struct load* L, const struct sk_image* img, const char* params, int* modlock) {
    struct sk_table t;
    bool waited = false;
    sk_table_read(&t);
    struct sk_mod* m = settle(&t, L->name, &waited, 0); /* module_patient_check_exists() */
    int err = m ? (m->state == SK_LIVE ? EEXIST : EBUSY) : waited ? EBUSY : 0;
    if (err) {
        L->outcome = "becoming";
        goto out;
    }
    L->alloc_bytes = L->dec_bytes;
    sk_mem_add(L->alloc_bytes, L->alloc_bytes);
    L->outcome = "load";
    for (;;) {
        bool dep_waited = false;
        if ((err = deps_ready(&t, img, &dep_waited))) goto out;
        if (!dep_waited) break;
        /* the lock was dropped: someone may have added the same name (add_unformed_module) */
        bool w = false;
        m = settle(&t, L->name, &w, 0);
        if (m) {
            err = EEXIST;
            goto out;
        }
        if (!w) break;
    }
    if ((err = sk_params_apply(img, params, NULL))) goto out;
    *modlock = sk_modlock(L->name, LOCK_EX);
    clear_debris(&t, img, L->name);
    if ((err = sk_sysfs_create(L->name, (unsigned long)L->alloc_bytes, img, params))) goto out;
    if (t.n < SK_MAXMODS) { /* newest first, like the kernel's list */
        memmove(&t.m[1], &t.m[0], (size_t)t.n * sizeof *t.m);
        memset(&t.m[0], 0, sizeof t.m[0]);
        snprintf(t.m[0].name, sizeof t.m[0].name, "%s", L->name);
        t.m[0].size = (unsigned long)L->alloc_bytes;
        t.m[0].state = SK_COMING;
        t.n++;
    }
    add_holders(&t, img, L->name);
    sk_table_write(&t);
    sk_mem_add(-L->held, 0); /* free_copy(): the file buffer goes before the module's init */
    L->held = 0;
out:
    sk_table_free(&t);
    return err;
}

/* Until the test creates ROOT/.simkernel/release.NAME (hang.NAME, hang_early.NAME). */
static void wait_for_release(const char* name) {
    char p[PATH_MAX];
    struct stat st;
    sk_path(p, sizeof p, "/.simkernel/release.%s", name);
    while (sk_real.stat(p, &st) != 0) sk_sleep_ns(1000000);
}

static int run_init(struct load* L) {
    const struct sk_config* c = L->cfg;
    char v[64];
    sk_sleep_ns(c->load_ns_base + c->load_ns_per_kib * (uint64_t)L->alloc_bytes / 1024);
    if (sk_config_mod(c, "hang", L->name, v, sizeof v) && atoi(v)) wait_for_release(L->name);
    sk_lock();
    struct sk_table t;
    sk_table_read(&t);
    int err = 0;
    if (sk_config_mod(c, "fail", L->name, v, sizeof v)) {
        err = sk_errno_from_name(v);
        if (!err) err = EINVAL;
        sk_teardown(&t, L->name);
        sk_mem_add(-L->alloc_bytes, -L->alloc_bytes);
        L->outcome = "init";
    } else {
        struct sk_mod* m = sk_table_find(&t, L->name);
        if (m) m->state = SK_LIVE;
        if (m && sk_config_mod(c, "taint", L->name, v, sizeof v) && v[0]) { /* taints once live */
            snprintf(m->taint, sizeof m->taint, "%s", v);
            char line[sizeof m->taint + 1];
            snprintf(line, sizeof line, "%s\n", m->taint);
            sk_sysfs_set(L->name, "taint", line);
        }
        sk_sysfs_set(L->name, "initstate", "live\n");
        sk_table_write(&t);
        L->outcome = "live";
    }
    sk_table_free(&t);
    sk_unlock();
    return err;
}

static int load_image(struct load* L, unsigned char* data, const char* params) {
    const struct sk_config* c = L->cfg;
    unsigned char* image = data;
    size_t n = (size_t)L->read_bytes;
    int err;
    char v[64];
    if (L->flags & FLAG_COMPRESSED) {
        char fmt[32];
        sk_compression(c, fmt, sizeof fmt);
        size_t dn = 0;
        if ((err = sk_decompress(fmt, data, n, &image, &dn))) {
            L->outcome = "decompress";
            L->dec_bytes = 0;
            return err;
        }
        L->dec_bytes = (long long)dn;
        mem(L->dec_bytes - L->held, 0); /* module_decompress() frees the compressed copy */
        L->held = L->dec_bytes;
        n = dn;
    }
    struct sk_image img;
    L->outcome = "becoming";
    if ((err = sk_parse_elf(image, n, &img))) goto out;
    snprintf(L->name, sizeof L->name, "%s", img.name);
    if (!(L->flags & FLAG_IGNORE_VERMAGIC) && !vermagic_ok(&img)) err = ENOEXEC;
    else if (sk_config_mod(c, "early_fail", L->name, v, sizeof v))
        err = sk_errno_from_name(v) ? sk_errno_from_name(v) : EINVAL;
    /* A slow read or signature check, for as long as a test needs: in the call, not coming. */
    if (!err && sk_config_mod(c, "hang_early", L->name, v, sizeof v) && atoi(v)) wait_for_release(L->name);
    if (!err) {
        int modlock = -1;
        sk_lock();
        err = admit(L, &img, params, &modlock);
        sk_unlock();
        if (!err) err = run_init(L);
        else if (L->alloc_bytes) mem(-L->alloc_bytes, -L->alloc_bytes);
        if (modlock >= 0) close(modlock); /* drops the flock: waiters re-check */
    }
    free(img.modinfo);
out:
    if (image != data) free(image);
    return err;
}

/* Linux 6.5 idempotent_init_module(): concurrent finit_module() on one inode share a result. */
static int idem_begin(struct load* L, const struct stat* st, char* path, int* owner_fd, bool* joined) {
    char dir[PATH_MAX];
    sk_path(dir, sizeof dir, "/.simkernel/idem");
    sk_lock();
    sk_mkdir_p(dir);
    snprintf(path, PATH_MAX, "%s/%lu_%lu", dir, (unsigned long)st->st_dev, (unsigned long)st->st_ino);
    int fd = sk_real.openat(AT_FDCWD, path, O_RDWR | O_CLOEXEC);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
        /* nobody holds it: its owner was killed before finishing; take over */
        close(fd);
        sk_real.unlink(path);
        fd = -1;
    }
    if (fd < 0) {
        *owner_fd = sk_real.openat(AT_FDCWD, path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (*owner_fd >= 0) flock(*owner_fd, LOCK_EX);
        sk_unlock();
        return 0;
    }
    sk_unlock();
    while (flock(fd, LOCK_SH) != 0 && errno == EINTR)
        ;
    char buf[64] = "";
    ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    int err;
    if (r > 0 && sscanf(buf, "done %d", &err) == 1) {
        *joined = true;
        L->outcome = "idempotent";
        return err;
    }
    return 0; /* the first caller died: load on our own */
}

static void idem_end(const char* path, int fd, int err) {
    if (fd < 0) return;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "done %d\n", err);
    sk_lock();
    if (pwrite(fd, buf, (size_t)n, 0) < 0) { /* waiters then load on their own */
    }
    sk_real.unlink(path);
    sk_unlock();
    close(fd);
}

static int do_load(struct load* L, int fd, const void* buf, unsigned long len, const char* params) {
    const struct sk_config* c = L->cfg;
    char idem_path[PATH_MAX];
    int idem_fd = -1, err;
    L->outcome = "-";
    if (L->is_finit) {
        struct stat st;
        if (L->flags & ~7u) return EINVAL;
        if (fstat(fd, &st) != 0) return EBADF;
        int acc = fcntl(fd, F_GETFL);
        if (acc < 0 || (acc & O_ACCMODE) == O_WRONLY) return EBADF;
        snprintf(L->inode, sizeof L->inode, "%lu:%lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
        L->file_bytes = st.st_size;
        if (L->flags & FLAG_COMPRESSED) {
            char fmt[32];
            sk_compression(c, fmt, sizeof fmt);
            if (!fmt[0]) return EOPNOTSUPP;
        }
        if (c->model >= 65) {
            bool joined = false;
            err = idem_begin(L, &st, idem_path, &idem_fd, &joined);
            if (joined) return err;
        }
    } else {
        L->file_bytes = (long long)len;
    }
    unsigned char* data = NULL;
    mem(L->file_bytes, 0);
    L->held = L->file_bytes;
    if ((err = read_image(L, fd, buf, len, &data))) {
        L->outcome = "kread";
    } else {
        mem(L->read_bytes - L->held, 0);
        L->held = L->read_bytes;
        err = load_image(L, data, params);
    }
    if (L->held) mem(-L->held, 0);
    free(data);
    idem_end(idem_path, idem_fd, err);
    return err;
}

long sk_load(int is_finit, int fd, const void* buf, unsigned long len, const char* params, int flags) {
    sk_init();
    if (!sk_env.rootlen)
        return is_finit ? sk_real.syscall(SYS_finit_module, fd, params, flags)
                        : sk_real.syscall(SYS_init_module, buf, len, params);
    sk_log_entry(is_finit ? "finit_module" : "init_module");
    struct sk_config cfg;
    sk_config_load(&cfg);
    sk_in_load(is_finit ? SYS_finit_module : SYS_init_module, &cfg);
    struct load L = {.is_finit = is_finit, .flags = (unsigned)flags, .cfg = &cfg};
    snprintf(L.inode, sizeof L.inode, "-");
    int err = do_load(&L, fd, buf, len, params);
    sk_log(is_finit ? "finit_module" : "init_module", L.name, err, L.file_bytes, L.dec_bytes, L.read_bytes,
           L.alloc_bytes, L.flags, L.inode, L.outcome);
    sk_in_load(-1, NULL);
    sk_config_free(&cfg);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}
