#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# eintr.flock, eintr.read, short_read (seeded by seed=): the caller's blocking flock() and its
# reads of module files fail with EINTR or come back short, the simulated kernel's own reads
# and locks never do, and every fault is a line of .simkernel/faults.log.
mkmod foo -s 200000
run_depmod
ko=/lib/modules/$KVER/kernel/foo.ko
# Off by default: nothing injected, nothing logged.
sim cat "$ko" | cmp -s - "$MODDIR/foo.ko" || fail "cat without faults"
[ ! -e "$ROOT/.simkernel/faults.log" ] || fail "faults logged without fault keys"
config "seed=7"
config "short_read=100"
config "eintr.read=30"
# cat retries EINTR and continues after a short read: the bytes are the file's. A cat makes
# only a few reads and the draw depends on its pid, so one run may see no EINTR: up to 20 runs.
n=0; while [ $n -lt 20 ] && ! grep -q ' eintr.read$' "$ROOT/.simkernel/faults.log" 2>/dev/null; do
    sim cat "$ko" | cmp -s - "$MODDIR/foo.ko" || fail "cat under short reads and EINTR"
    n=$((n + 1)); done
grep -q ' short_read$' "$ROOT/.simkernel/faults.log" || fail "no short read logged"
grep -q ' eintr.read$' "$ROOT/.simkernel/faults.log" || fail "no EINTR on read logged in 20 runs"
# Only module files: the index next to it reads whole.
: > "$ROOT/.simkernel/faults.log"
sim cat "/lib/modules/$KVER/modules.dep" >/dev/null || fail "cat modules.dep"
[ ! -s "$ROOT/.simkernel/faults.log" ] || fail "faults on a file that is not a module: $(cat "$ROOT/.simkernel/faults.log")"
# The kernel's own read of the module (finit_module) is never cut short.
sim modprobe foo || fail "modprobe foo under short reads"
expect_eq "$(initstate foo)" "live" "loaded under short reads"
expect_eq "$(cut -f6,13 "$ROOT/.simkernel/calls.log")" "$(printf -- '-\tlive')" "one clean load"
# A blocking flock is interrupted; util-linux flock(1) retries EINTR and gets the lock. A
# LOCK_NB request is never interrupted (it does not sleep in the kernel).
config "eintr.flock=60"
mkdir -p "$ROOT/run/kmodx"
: > "$ROOT/.simkernel/faults.log"
sim flock "/run/kmodx/x" true || fail "flock under EINTR"
sim flock -n "/run/kmodx/y" true || fail "flock -n"
n=0; while [ $n -lt 20 ] && ! grep -q ' eintr.flock$' "$ROOT/.simkernel/faults.log"; do
    sim flock -s "/run/kmodx/x" true || fail "flock -s under EINTR"; n=$((n + 1)); done
grep -q ' eintr.flock$' "$ROOT/.simkernel/faults.log" || fail "no EINTR on flock logged in 20 tries"
echo ok
