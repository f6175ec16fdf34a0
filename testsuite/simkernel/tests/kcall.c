// SPDX-License-Identifier: LGPL-2.1-or-later
/* Test helper: raw module syscalls and the path functions, run under simrun.
 *   kcall finit PATH PARAMS FLAGS | kcall init PATH PARAMS | kcall delete NAME FLAGS
 *   kcall paths KVER        (every redirected libc path call on the simulated tree)
 * Prints OK or the errno name; exit 0 on OK. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static int report(long r) {
    if (r == 0) {
        puts("OK");
        return 0;
    }
    printf("%s\n", strerrorname_np(errno));
    return 1;
}

static int fails;
static void check(int ok, const char* what) {
    if (!ok) {
        printf("FAIL %s (%s)\n", what, strerrorname_np(errno));
        fails++;
    }
}

static int paths(const char* kver) {
    char p[PATH_MAX], buf[PATH_MAX];
    struct stat st;
    snprintf(p, sizeof p, "/lib/modules/%s/modules.dep", kver);
    int fd = open(p, O_RDONLY);
    check(fd >= 0, "open");
    close(fd);
    fd = openat(AT_FDCWD, p, O_RDONLY);
    check(fd >= 0, "openat");
    close(fd);
    FILE* f = fopen(p, "r");
    check(f != NULL, "fopen");
    if (f) fclose(f);
    check(stat(p, &st) == 0, "stat");
    check(lstat(p, &st) == 0, "lstat");
    check(fstatat(AT_FDCWD, p, &st, 0) == 0, "fstatat");
    struct statx sx;
    check(statx(AT_FDCWD, p, 0, STATX_SIZE, &sx) == 0, "statx");
    check(access(p, R_OK) == 0, "access");
    check(faccessat(AT_FDCWD, p, R_OK, 0) == 0, "faccessat");
    check(euidaccess(p, R_OK) == 0, "euidaccess");
    DIR* d = opendir("/sys/module");
    check(d != NULL, "opendir");
    if (d) closedir(d);
    struct dirent** list;
    int n = scandir("/lib/modules", &list, NULL, alphasort);
    check(n > 0, "scandir");
    while (n-- > 0) free(list[n]);
    check(mkdir("/run/kmodx", 0755) == 0, "mkdir");
    check(mkdirat(AT_FDCWD, "/run/kmodx/d", 0755) == 0, "mkdirat");
    fd = open("/run/kmodx/f", O_CREAT | O_WRONLY, 0644);
    check(fd >= 0, "open O_CREAT");
    close(fd);
    check(creat("/run/kmodx/c", 0644) >= 0, "creat");
    check(truncate("/run/kmodx/f", 10) == 0, "truncate");
    check(chmod("/run/kmodx/f", 0600) == 0, "chmod");
    check(symlink("/run/kmodx/f", "/run/kmodx/l") == 0, "symlink");
    ssize_t r = readlink("/run/kmodx/l", buf, sizeof buf - 1);
    check(r > 0, "readlink");
    check(stat("/run/kmodx/l", &st) == 0 && st.st_size == 10, "symlink target rewritten");
    check(link("/run/kmodx/f", "/run/kmodx/h") == 0, "link");
    check(rename("/run/kmodx/h", "/run/kmodx/h2") == 0, "rename");
    check(renameat(AT_FDCWD, "/run/kmodx/h2", AT_FDCWD, "/run/kmodx/h3") == 0, "renameat");
    check(mkfifo("/run/kmodx/fifo", 0600) == 0, "mkfifo");
    check(utimensat(AT_FDCWD, "/run/kmodx/f", NULL, 0) == 0, "utimensat");
    char* rp = realpath("/run/kmodx/l", NULL);
    check(rp && strcmp(rp, "/run/kmodx/f") == 0, "realpath hides ROOT");
    free(rp);
    check(unlink("/run/kmodx/h3") == 0, "unlink");
    check(unlinkat(AT_FDCWD, "/run/kmodx/fifo", 0) == 0, "unlinkat");
    check(unlinkat(AT_FDCWD, "/run/kmodx/d", AT_REMOVEDIR) == 0, "unlinkat dir");
    check(unlink("/run/kmodx/l") == 0 && unlink("/run/kmodx/f") == 0 && unlink("/run/kmodx/c") == 0, "unlink all");
    check(rmdir("/run/kmodx") == 0, "rmdir");
    struct utsname u;
    check(uname(&u) == 0 && strcmp(u.release, kver) == 0, "uname");
    check(syscall(SYS_getpid) == getpid(), "syscall forwards others");
    if (!fails) puts("OK");
    return fails ? 1 : 0;
}

int main(int argc, char** argv) {
    if (argc >= 3 && !strcmp(argv[1], "paths")) return paths(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "delete")) return report(syscall(SYS_delete_module, argv[2], atoi(argv[3])));
    if (argc >= 4 && (!strcmp(argv[1], "finit") || !strcmp(argv[1], "init"))) {
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0) return report(-1);
        if (!strcmp(argv[1], "finit"))
            return report(syscall(SYS_finit_module, fd, argv[3], argc > 4 ? atoi(argv[4]) : 0));
        struct stat st;
        fstat(fd, &st);
        char* b = malloc((size_t)st.st_size + 1);
        if (read(fd, b, (size_t)st.st_size) != st.st_size) return report(-1);
        return report(syscall(SYS_init_module, b, (unsigned long)st.st_size, argv[3]));
    }
    fprintf(stderr, "usage: kcall finit|init|delete|paths ...\n");
    return 2;
}
