#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# chroot.sh [root | run [MESON TEST ARGS] | probe | package | shell]: kmodx built and tested in
# a Debian 13 (trixie) chroot, against Debian 13's own kmod 34.2 (docs/debian13.md).
#   root   makes the chroot when it is missing or stale (make-chroot.sh:
#          debian13-root.sh's trixie root plus kmodx's build dependencies,
#          installed by the root's own apt) and prints its path.
#   run    copies this source tree (tracked and untracked, not ignored files,
#          mtimes kept, so the build is incremental) to /kmodx/src in the
#          chroot, builds it there in /kmodx/build with g++ 14 against libkmod
#          34, and runs `meson test` there (default `--suite differential`),
#          so every row compares kmodx with the chroot's /usr/bin/kmod 34.2.
#          Prints "debian13: N passed, N failed, N skipped" and the failing
#          tests; exits 1 if any failed.
#   probe  the same copy and build, then each row of testsuite/debian13/probe.txt
#          (what kmod changed after 30 that the differential tables have no row
#          for) through testsuite/e2e/diff_row.sh; a diff a row in the logs' probe/.
#   package  the same copy, then testsuite/package/deb_install_remove.sh in the
#          chroot: the Debian package built by Debian 13's dpkg-buildpackage,
#          installed, diverted, removed and purged in a trixie chroot made
#          inside this one; then testsuite/package/deb_boot_initramfs.sh, run
#          from this machine on that package and trixie base: Debian 13's own
#          cloud kernel boots from the initramfs its update-initramfs made, with
#          kmod 34.2 and then with kmodx. Prints "debian13-package: N passed, N
#          failed, N skipped"; the logs are package.log and package-boot.log, the
#          package build's package-build.log.
#   shell  a shell in the chroot, with the same mounts.
# Environment:
#   KMODX_DEBIAN13_CHROOT  the chroot (default ${XDG_CACHE_HOME:-~/.cache}/kmodx-debian13/chroot)
#   KMODX_DEBIAN13_LOGS    where run leaves build.log, testlog.txt, testlog.json,
#                          summary.txt (default ${XDG_CACHE_HOME:-~/.cache}/kmodx-debian13/logs)
#   KMODX_DEBIAN13_ROOT    debian13-root.sh's root, copied on the first run
#   KMODX_DEBIAN13_JOBS    ninja -j and meson test --num-processes (default 2)
# Needs root (chroot, mounts) and, when the chroot must be made, the network:
# without the archive that is exit 77 and one SKIP line, not a failure. One
# run at a time per chroot (a lock beside it). The chroot's /proc is mounted
# in a private mount namespace (in-chroot.sh), so it goes away with the run
# whatever happens.
set -eu

die() { echo "chroot.sh: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)
cache=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/kmodx-debian13
chroot=${KMODX_DEBIAN13_CHROOT:-$cache/chroot}
logs=${KMODX_DEBIAN13_LOGS:-$cache/logs}
jobs=${KMODX_DEBIAN13_JOBS:-2}

usage="usage: chroot.sh [root | run [MESON TEST ARGS] | probe | package | shell]"
cmd=${1:-root}
[ $# -eq 0 ] || shift
case $cmd in
    root | shell | probe | package) [ $# -eq 0 ] || die "$usage" ;;
    run) ;;
    *) die "$usage" ;;
esac
[ "$(id -u)" = 0 ] || die "needs root (chroot, mounts)"

in_chroot() { "$here/in-chroot.sh" "$@"; }

# One run at a time per chroot (run replaces /kmodx/src and builds in
# /kmodx/build; make-chroot.sh may replace the chroot itself): a second one
# waits.
mkdir -p "$(dirname "$chroot")"
exec 9>"$chroot.lock"
if ! flock -n 9; then
    echo "chroot.sh: $chroot is in use by another run; waiting" >&2
    flock 9
fi
# Made when missing or stale; 77 (the archive cannot be reached) is passed on.
rc=0
"$here/make-chroot.sh" "$chroot" >/dev/null || rc=$?
case $rc in
    0) ;;
    77) echo "chroot.sh: SKIP: no Debian 13 chroot, and none can be made without the archive" >&2; exit 77 ;;
    *) die "no Debian 13 chroot (make-chroot.sh failed)" ;;
esac

case $cmd in
    root) echo "$chroot"; exit 0 ;;
    shell) in_chroot "$chroot" 'exec /bin/bash -l'; exit ;;
esac

# run, probe and package: a fresh copy of the tree (deleted files gone, mtimes kept).
t0=$(date +%s)
rm -rf "$chroot/kmodx/src"
mkdir -p "$chroot/kmodx/src" "$logs"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$src" ls-files -z -co --exclude-standard |
        xargs -0 sh -c 'for f; do { [ -e "$f" ] || [ -L "$f" ]; } && printf "%s\0" "$f"; done; :' sh |
        tar -C "$src" --null -T - -cf - | tar -C "$chroot/kmodx/src" -xf -
else
    tar -C "$src" --exclude='./build*' -cf - . | tar -C "$chroot/kmodx/src" -xf -
fi

t1=$(date +%s)
rc=0
if [ "$cmd" = package ]; then
    # The package suite's deb_install_remove.sh as Debian 12 runs it, here with
    # Debian 13's dpkg-buildpackage and debhelper, and a trixie chroot
    # debootstrapped inside this one (its tarball kept in /kmodx/deb, so it
    # lives as long as this chroot).
    echo "chroot.sh: deb_install_remove.sh in the chroot (package build, trixie install/remove/purge)" >&2
    rm -f "$logs/package.log" "$logs/package-build.log" "$logs/package-boot.log" "$logs/package-summary.txt"
    in_chroot "$chroot" 'exec bash /kmodx/src/testsuite/package/deb_install_remove.sh /kmodx/src /kmodx/deb' \
        >"$logs/package.log" 2>&1 || rc=$?
    cp "$chroot/kmodx/deb/build.log" "$logs/package-build.log" 2>/dev/null || true
    t2=$(date +%s)
    # Then the package's boot test with Debian 13's own cloud kernel, run
    # from this machine (qemu) on the package and trixie base system the
    # first test left in the chroot's /kmodx/deb.
    brc=77
    if [ "$rc" -eq 0 ]; then
        echo "chroot.sh: deb_boot_initramfs.sh (Debian 13's kernel from the kmodx initramfs)" >&2
        brc=0
        KMODX_BOOT_SERIES=6.12-trixie bash "$src/testsuite/package/deb_boot_initramfs.sh" "$src" \
            "$chroot/kmodx/deb" >"$logs/package-boot.log" 2>&1 || brc=$?
    fi
    t3=$(date +%s)
    passed=0 failed=0 skipped=0
    for r in "deb_install_remove $rc package.log" "deb_boot_initramfs $brc package-boot.log"; do
        set -- $r
        case $2 in
            0) passed=$((passed + 1)) ;;
            77) skipped=$((skipped + 1)) ;;
            *) tail -n 30 "$logs/$3" >&2; failed=$((failed + 1))
               echo "FAIL $1" >>"$logs/package-summary.txt" ;;
        esac
    done
    echo "debian13-package: $passed passed, $failed failed, $skipped skipped" >>"$logs/package-summary.txt"
    cat "$logs/package-summary.txt"
    echo "chroot.sh: copy $((t1 - t0)) s, package test $((t2 - t1)) s, boot test $((t3 - t2)) s;" \
        "logs in $logs/package.log and $logs/package-boot.log" >&2
    [ "$failed" -eq 0 ] || exit 1
    exit 0
fi

rm -f "$logs"/build.log "$logs"/meson-test.out "$logs"/testlog.* "$logs"/summary.txt
# The differential rows (and probe's) need what testsuite/e2e/meson.build's
# e2e_deps names: the tools, the fixture tree and the simulated kernel. Built
# alone they are about half of the tree's ninja steps; any other meson test
# arguments build everything.
targets=
if [ "$cmd" = probe ] || [ $# -eq 0 ]; then
    targets="tools/kmodx tools/modprobe tools/insmod tools/rmmod tools/lsmod tools/modinfo"
    targets="$targets testsuite/fixtures/root.stamp testsuite/simkernel/libsimkernel.so"
fi
echo "chroot.sh: building in $chroot/kmodx/build${targets:+ (the differential suite's targets)}" >&2
if ! in_chroot "$chroot" '
        cd /kmodx
        if [ -f build/build.ninja ]; then meson setup --reconfigure build src; else meson setup build src; fi
        jobs=$1; shift
        ninja -C build -j "$jobs" "$@"' "$jobs" $targets >"$logs/build.log" 2>&1; then
    tail -n 30 "$logs/build.log" >&2
    die "build failed in the chroot (whole log: $logs/build.log)"
fi

t2=$(date +%s)
kmod_version=$(chroot "$chroot" /usr/bin/kmod -V | sed -n '1s/^kmod version //p')
if [ "$cmd" = probe ]; then
    # Each row of probe.txt through diff_row.sh, with the environment
    # testsuite/e2e/meson.build gives the differential tests.
    echo "chroot.sh: testsuite/debian13/probe.txt against kmod $kmod_version" >&2
    rm -rf "$logs/probe"
    mkdir -p "$logs/probe"
    in_chroot "$chroot" '
        b=/kmodx/build
        export KMODX_BUILD=$b FIXTURE_ROOT=$b/testsuite/fixtures/root SIMRUN=$b/testsuite/simkernel/simrun
        export SIMKERNEL_LIB=$b/testsuite/simkernel/libsimkernel.so
        table=/kmodx/src/testsuite/debian13/probe.txt
        rm -rf /kmodx/probe && mkdir /kmodx/probe && cd "$b"
        sed -n "/^[^#].*|/s/^ *\([^ |]*\).*/\1/p" "$table" | while read -r name; do
            if sh /kmodx/src/testsuite/e2e/diff_row.sh "$table" "$name" >"/kmodx/probe/$name.log" 2>&1
            then echo "OK $name"; else echo "FAIL $name"; fi
        done' >"$logs/probe/results" 2>&1 || rc=$?
    cp "$chroot"/kmodx/probe/*.log "$logs/probe/" 2>/dev/null || true
    t3=$(date +%s)
    { grep '^FAIL' "$logs/probe/results" || true
      echo "debian13 probe: $(grep -c '^OK' "$logs/probe/results") passed," \
          "$(grep -c '^FAIL' "$logs/probe/results") failed, 0 skipped"; } >"$logs/probe/summary.txt"
    cat "$logs/probe/summary.txt"
    echo "chroot.sh: copy $((t1 - t0)) s, build $((t2 - t1)) s, probe $((t3 - t2)) s; each row's diff in $logs/probe/NAME.log" >&2
    grep -q '^FAIL' "$logs/probe/results" && exit 1
    exit "$rc"
fi

[ $# -gt 0 ] || set -- --suite differential
echo "chroot.sh: meson test $* (kmod $kmod_version)" >&2
rm -f "$chroot"/kmodx/build/meson-logs/testlog.*
in_chroot "$chroot" 'jobs=$1; shift
        cd /kmodx && meson test -C build --num-processes "$jobs" --no-rebuild "$@"' "$jobs" "$@" \
    >"$logs/meson-test.out" 2>&1 || rc=$?
t3=$(date +%s)
cp "$chroot/kmodx/build/meson-logs/testlog.txt" "$chroot/kmodx/build/meson-logs/testlog.json" "$logs/" 2>/dev/null || true
[ -f "$logs/testlog.json" ] || { tail -n 30 "$logs/meson-test.out" >&2; die "meson test ran nothing (output: $logs/meson-test.out)"; }

# One line a failing test (its name without meson's suite prefix), then the
# count line ./dev prints too.
python3 - "$logs/testlog.json" >"$logs/summary.txt" <<'PY'
import json, sys
counts, failed = {}, []
for line in open(sys.argv[1]):
    r = json.loads(line)
    counts[r["result"]] = counts.get(r["result"], 0) + 1
    if r["result"] in ("FAIL", "TIMEOUT", "UNEXPECTEDPASS", "ERROR"):
        failed.append(r["name"].split(" / ")[-1].strip())
ok = counts.get("OK", 0) + counts.get("EXPECTEDFAIL", 0)
for name in sorted(failed):
    print("FAIL", name)
print(f"debian13: {ok} passed, {len(failed)} failed, {counts.get('SKIP', 0)} skipped")
PY
cat "$logs/summary.txt"
echo "chroot.sh: copy $((t1 - t0)) s, build $((t2 - t1)) s, tests $((t3 - t2)) s; logs in $logs" >&2
[ "$rc" -eq 0 ] || exit 1
