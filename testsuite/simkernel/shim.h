// SPDX-License-Identifier: LGPL-2.1-or-later
/* Internal interface of the simulated kernel (LD_PRELOAD shim). See README.md. */
#pragma once

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* We define both the plain and the *64 entry points ourselves, so the headers must not
 * rename one into the other. */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <dirent.h>
#include <stdio.h>

#define SK_EXPORT __attribute__((visibility("default")))
#define SK_MAXMODS 2048
#define SK_NAMELEN 64

/* ---- real libc entry points (shim_paths.c) ---- */
struct sk_real {
    int (*openat)(int, const char*, int, ...);
    int (*mkdir)(const char*, mode_t);
    int (*unlink)(const char*);
    int (*rename)(const char*, const char*);
    int (*rmdir)(const char*);
    int (*symlink)(const char*, const char*);
    int (*stat)(const char*, struct stat*);
    int (*lstat)(const char*, struct stat*);
    DIR* (*opendir)(const char*);
    FILE* (*fopen)(const char*, const char*);
    long (*syscall)(long, ...);
    int (*uname)(void*);
};
extern struct sk_real sk_real;

/* Lazily initialised global settings. */
struct sk_env {
    int inited;
    char root[4096]; /* empty: shim inactive */
    size_t rootlen;
    char* prefixes[64];
    int nprefixes;
};
extern struct sk_env sk_env;
void sk_init(void);
/* Rewrites PATH into OUT (size PATH_MAX) when it lies under a redirected prefix. Returns the
 * path to use (PATH itself or OUT). */
const char* sk_rewrite(const char* path, char* out);

/* ---- helpers on ROOT-relative paths, always through the real functions (shim_state.c) ---- */
int sk_path(char* out, size_t n, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
/* Marks this process as inside a load call NR (a syscall number) for
 * /proc/PID/syscall, or no longer (-1); config syscall_shows=running makes it
 * read "running", as the kernel shows a task that is on a CPU or runnable. */
struct sk_config;
void sk_in_load(long nr, const struct sk_config* c);
int sk_read_file(const char* path, char* buf, size_t n); /* bytes or -1 */
int sk_write_file(const char* path, const char* data);   /* atomic, 0 / -1 */
void sk_mkdir_p(const char* path);
void sk_rm_rf(const char* path);
uint64_t sk_now_ns(void);
void sk_sleep_ns(uint64_t ns);
int sk_errno_from_name(const char* s); /* ENODEV or 19; 0 if unknown */
const char* sk_errno_name(int e);

/* ---- config (.simkernel/config) ---- */
struct sk_config {
    int model; /* 61 or 65 */
    uint64_t load_ns_base, load_ns_per_kib, read_ns_per_kib, unload_ns;
    char decompress[16];
    char* text; /* raw file, for per-module keys */
};
void sk_config_load(struct sk_config* c);
void sk_config_free(struct sk_config* c);
/* value of KEY.NAME or NULL */
const char* sk_config_mod(const struct sk_config* c, const char* key, const char* name, char* buf, size_t n);
/* the kernel's decompression format: sys/module/compression wins over config */
void sk_compression(const struct sk_config* c, char* out, size_t n);

/* ---- the module table: ROOT/proc/modules is the single source of truth ---- */
enum sk_state { SK_LIVE, SK_COMING, SK_GOING };
struct sk_mod {
    char name[SK_NAMELEN];
    unsigned long size;
    int refcnt;
    char holders[1024]; /* "a,b," or "" ; newest first */
    enum sk_state state;
    char taint[16]; /* "OE" or "": the row's trailing "(OE)" */
};
struct sk_table {
    struct sk_mod* m;
    int n;
};
void sk_lock(void); /* global flock on .simkernel/lock */
void sk_unlock(void);
int sk_table_read(struct sk_table* t);
int sk_table_write(const struct sk_table* t);
void sk_table_free(struct sk_table* t);
struct sk_mod* sk_table_find(struct sk_table* t, const char* name);

/* memory accounting in .simkernel/state (caller holds the lock) */
void sk_mem_add(long long kernel_bytes, long long module_bytes);

/* ---- module images (shim_elf.c) ---- */
struct sk_image {
    char name[SK_NAMELEN];
    char* modinfo; /* copy of .modinfo, NUL separated */
    size_t modinfo_len;
};
int sk_decompress(const char* fmt, const unsigned char* in, size_t n, unsigned char** out, size_t* outn);
int sk_parse_elf(const unsigned char* buf, size_t n, struct sk_image* img); /* 0 or ENOEXEC */
/* iterate .modinfo values for KEY; returns next cursor or NULL */
const char* sk_modinfo_next(const struct sk_image* img, const char* key, const char* cur);

/* ---- parameters (shim_params.c) ---- */
/* Validates PARAMS against img's parmtype entries; on success writes parameter files into DIR.
 * Returns 0 or EINVAL. DIR may be NULL to only validate. */
int sk_params_apply(const struct sk_image* img, const char* params, const char* dir);

/* ---- fault injection (shim_faults.c) ---- */
/* > 0 while the shim itself works (a module syscall): no injected faults then. */
extern __thread int sk_fault_guard;

/* ---- module syscalls (shim_kernel.c, shim_unload.c) ---- */
long sk_load(int is_finit, int fd, const void* buf, unsigned long len, const char* params, int flags);
long sk_delete(const char* name, unsigned int flags);
/* One line per load call as it begins, so a test can act while the call is in flight. */
void sk_log_entry(const char* call);
void sk_log(const char* call, const char* mod, int err, long long file_bytes, long long dec_bytes, long long read_bytes,
            long long alloc_bytes, unsigned flags, const char* inode, const char* outcome);

/* ---- sysfs rendering ---- */
int sk_sysfs_create(const char* name, unsigned long size, const struct sk_image* img, const char* params);
void sk_sysfs_set(const char* name, const char* file, const char* value);
void sk_sysfs_remove(const char* name);
void sk_sysfs_holder(const char* dep, const char* holder, bool add);
/* flock on .simkernel/mod/NAME.lock; returns fd */
int sk_modlock(const char* name, int op);
/* waits (global lock released by caller) until NAME is no longer coming or timeout */
void sk_wait_not_coming(const char* name, uint64_t timeout_ns);
/* removes NAME: row, holder links and refcounts of its dependencies, sysfs; writes the table */
void sk_teardown(struct sk_table* t, const char* name);
/* finalises a coming module whose loader died; caller holds the lock */
bool sk_reap(struct sk_table* t, const char* name);
