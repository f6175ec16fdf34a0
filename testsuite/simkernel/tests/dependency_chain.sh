#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# A dependency chain loads in order with holders and refcounts; modprobe -r unwinds it.
mkmod a -x a_fn
mkmod b -d a -u a_fn -x b_fn
mkmod c -d b -u b_fn
run_depmod
sim modprobe c || fail "modprobe c"
expect_eq "$(cut -f4 "$ROOT/.simkernel/calls.log" | tr '\n' ' ')" "a b c " "load order"
expect_eq "$(cut -d' ' -f1,3,4,5 "$ROOT/proc/modules" | tr '\n' ';')" "c 0 - Live;b 1 c, Live;a 1 b, Live;" "/proc/modules"
expect_eq "$(cat "$ROOT/sys/module/a/refcnt") $(ls "$ROOT/sys/module/a/holders")" "1 b" "a's holders"
expect_eq "$(cat "$ROOT/sys/module/b/refcnt") $(ls "$ROOT/sys/module/b/holders")" "1 c" "b's holders"
build_kcall
expect_eq "$(sim "$KCALL" delete a 2048 || true)" "EAGAIN" "delete_module of a held module"
sim modprobe -r c || fail "modprobe -r c"
# kmod 30 walks c's dependency list in reverse: a is still held by b when it is looked at
expect_eq "$(cut -d' ' -f1,3,4 "$ROOT/proc/modules")" "a 0 -" "c and b removed, a released"
expect_eq "$(cat "$ROOT/sys/module/a/refcnt") $(ls "$ROOT/sys/module/a/holders")" "0 " "a's holders dropped"
sim modprobe -r a || fail "modprobe -r a"
expect_eq "$(cat "$ROOT/proc/modules")" "" "all removed"
expect_eq "$(ls "$ROOT/sys/module")" "" "sysfs empty"
# the kernel refuses a module whose dependency is missing: unknown symbol
expect_eq "$(sim "$KCALL" finit "$MODDIR/c.ko" "" 0 || true)" "ENOENT" "missing dependency"
