#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# A second modprobe of a live module is silent, exit 0, and makes no syscall; --first-time errs.
mkmod foo
run_depmod
sim modprobe foo || fail "first modprobe"
out=$(sim modprobe foo 2>&1) || fail "second modprobe exit $?: $out"
expect_eq "$out" "" "second modprobe output"
expect_eq "$(wc -l < "$ROOT/.simkernel/calls.log")" "1" "no second load syscall"
rc=0; out=$(sim modprobe --first-time foo 2>&1) || rc=$?
expect_eq "$rc" "1" "--first-time exit"
expect_eq "$out" "modprobe: ERROR: could not insert 'foo': Module already in kernel" "--first-time message"
rc=0; out=$(sim insmod "$MODDIR/foo.ko" 2>&1) || rc=$?
expect_eq "$rc" "1" "insmod of a live module"
expect_eq "$out" "insmod: ERROR: could not insert module $MODDIR/foo.ko: File exists" "insmod EEXIST message"
expect_eq "$(report --calls foo)" "2" "load calls for foo"
