// SPDX-License-Identifier: LGPL-2.1-or-later
/* /sys/module rendering, per-module loader locks, waiting for coming modules and cleaning up
 * after loaders that died. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>

static void sysfs_file(const char* dir, const char* file, const char* value) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    sk_write_file(p, value);
}

int sk_sysfs_create(const char* name, unsigned long size, const struct sk_image* img, const char* params) {
    char dir[PATH_MAX], tmp[PATH_MAX], v[PATH_MAX];
    struct stat st;
    sk_path(dir, sizeof dir, "/sys/module");
    sk_mkdir_p(dir);
    sk_path(dir, sizeof dir, "/sys/module/%s", name);
    if (sk_real.lstat(dir, &st) == 0) /* mod_sysfs_init: "module is already loaded" */
        return EINVAL;
    sk_path(tmp, sizeof tmp, "/sys/module/.%s.tmp.%d", name, (int)getpid());
    sk_rm_rf(tmp);
    if (sk_real.mkdir(tmp, 0755) != 0) return errno;
    snprintf(v, sizeof v, "%s/holders", tmp);
    sk_real.mkdir(v, 0755);
    sysfs_file(tmp, "initstate", "coming\n");
    sysfs_file(tmp, "refcnt", "0\n");
    snprintf(v, sizeof v, "%lu\n", size);
    sysfs_file(tmp, "coresize", v);
    sysfs_file(tmp, "initsize", "0\n");
    sysfs_file(tmp, "taint", "\n");
    const char* s;
    if ((s = sk_modinfo_next(img, "version", NULL))) {
        snprintf(v, sizeof v, "%s\n", s);
        sysfs_file(tmp, "version", v);
    }
    if ((s = sk_modinfo_next(img, "srcversion", NULL))) {
        snprintf(v, sizeof v, "%s\n", s);
        sysfs_file(tmp, "srcversion", v);
    }
    sk_params_apply(img, params, tmp);
    /* appear atomically: libkmod reads a directory without initstate as another state */
    if (sk_real.rename(tmp, dir) != 0) {
        int e = errno;
        sk_rm_rf(tmp);
        return e;
    }
    return 0;
}

void sk_sysfs_set(const char* name, const char* file, const char* value) {
    char dir[PATH_MAX];
    sk_path(dir, sizeof dir, "/sys/module/%s", name);
    sysfs_file(dir, file, value);
}

void sk_sysfs_remove(const char* name) {
    char dir[PATH_MAX], tmp[PATH_MAX];
    sk_path(dir, sizeof dir, "/sys/module/%s", name);
    sk_path(tmp, sizeof tmp, "/sys/module/.%s.gone.%d", name, (int)getpid());
    if (sk_real.rename(dir, tmp) == 0) sk_rm_rf(tmp);
}

void sk_sysfs_holder(const char* dep, const char* holder, bool add) {
    char link[PATH_MAX], target[PATH_MAX];
    sk_path(link, sizeof link, "/sys/module/%s/holders/%s", dep, holder);
    if (add) {
        snprintf(target, sizeof target, "../../%s", holder);
        sk_real.symlink(target, link);
    } else {
        sk_real.unlink(link);
    }
}

int sk_modlock(const char* name, int op) {
    char p[PATH_MAX];
    sk_path(p, sizeof p, "/.simkernel/mod");
    sk_mkdir_p(p);
    sk_path(p, sizeof p, "/.simkernel/mod/%s.lock", name);
    int fd = sk_real.openat(AT_FDCWD, p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    int r;
    while ((r = flock(fd, op)) != 0 && errno == EINTR)
        ;
    if (r != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void sk_wait_not_coming(const char* name, uint64_t timeout_ns) {
    (void)timeout_ns;
    char p[PATH_MAX];
    sk_path(p, sizeof p, "/.simkernel/mod/%s.lock", name);
    int fd = sk_real.openat(AT_FDCWD, p, O_RDWR | O_CLOEXEC);
    if (fd < 0) { /* a module made coming by hand: nobody will tell us, poll */
        sk_sleep_ns(1000000);
        return;
    }
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        /* free already: the loader finished or died; let the caller re-check after a pause */
        close(fd);
        sk_sleep_ns(500000);
        return;
    }
    while (flock(fd, LOCK_SH) != 0 && errno == EINTR)
        ;
    close(fd);
}

static void holders_remove(char* holders, const char* name) {
    size_t l = strlen(name);
    for (char* s = holders; *s;) {
        char* comma = strchrnul(s, ',');
        if ((size_t)(comma - s) == l && !strncmp(s, name, l)) {
            char* rest = *comma ? comma + 1 : comma;
            memmove(s, rest, strlen(rest) + 1);
            continue;
        }
        s = *comma ? comma + 1 : comma;
    }
}

void sk_teardown(struct sk_table* t, const char* name) {
    for (int i = 0; i < t->n; i++) {
        struct sk_mod* d = &t->m[i];
        size_t before = strlen(d->holders);
        holders_remove(d->holders, name);
        if (strlen(d->holders) != before) {
            char v[32];
            if (d->refcnt > 0) d->refcnt--;
            snprintf(v, sizeof v, "%d\n", d->refcnt);
            sk_sysfs_set(d->name, "refcnt", v);
            sk_sysfs_holder(d->name, name, false);
        }
    }
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->m[i].name, name)) {
            memmove(&t->m[i], &t->m[i + 1], (size_t)(t->n - i - 1) * sizeof *t->m);
            t->n--;
            break;
        }
    sk_sysfs_remove(name);
    sk_table_write(t);
}

bool sk_reap(struct sk_table* t, const char* name) {
    char p[PATH_MAX];
    sk_path(p, sizeof p, "/.simkernel/mod/%s.lock", name);
    int fd = sk_real.openat(AT_FDCWD, p, O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) { /* loader alive (or a waiter peeking) */
        close(fd);
        return false;
    }
    struct sk_config cfg;
    sk_config_load(&cfg);
    char v[64];
    bool done = false;
    struct sk_mod* m = sk_table_find(t, name);
    if (m && m->state == SK_COMING) {
        sk_path(p, sizeof p, "/.simkernel/release.%s", name);
        struct stat st;
        if (sk_config_mod(&cfg, "hang", name, v, sizeof v) && atoi(v) && sk_real.stat(p, &st) != 0) {
            done = false; /* its init is still running in the simulated kernel */
        } else if (sk_config_mod(&cfg, "fail", name, v, sizeof v)) {
            long long size = (long long)m->size;
            sk_teardown(t, name);
            sk_mem_add(-size, -size);
            done = true;
        } else {
            m->state = SK_LIVE;
            sk_sysfs_set(name, "initstate", "live\n");
            sk_table_write(t);
            done = true;
        }
    }
    sk_config_free(&cfg);
    flock(fd, LOCK_UN);
    close(fd);
    return done;
}
