#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# A bad value for a typed parameter is EINVAL (after allocation); unknown parameters are ignored.
mkmod foo -p x:int -p b:bool -p arr:"array of int" -p u:byte
run_depmod
rc=0; out=$(sim modprobe foo x=abc 2>&1) || rc=$?
expect_eq "$rc" "1" "modprobe exit"
expect_eq "$out" "modprobe: ERROR: could not insert 'foo': Invalid argument" "modprobe message"
rc=0; out=$(sim insmod "$MODDIR/foo.ko" b=maybe 2>&1) || rc=$?
expect_eq "$out" "insmod: ERROR: could not insert module $MODDIR/foo.ko: Invalid parameters" "insmod message"
rc=0; sim insmod "$MODDIR/foo.ko" u=256 2>/dev/null || rc=$?
expect_eq "$rc" "1" "byte out of range"
rc=0; sim insmod "$MODDIR/foo.ko" arr=1,x,3 2>/dev/null || rc=$?
expect_eq "$rc" "1" "bad array element"
expect_eq "$(initstate foo)" "absent" "nothing loaded"
size=$(stat -c %s "$MODDIR/foo.ko")
expect_eq "$(report --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["failed_load"], t["failed_load_bytes"])')" "4 $((8 * size))" "report: failed on load, 2x bytes"
sim insmod "$MODDIR/foo.ko" nosuch=1 'arr=1,2,3' 'x="5"' || fail "unknown parameter must be ignored"
expect_eq "$(cat "$ROOT/sys/module/foo/parameters/arr") $(cat "$ROOT/sys/module/foo/parameters/x")" "1,2,3 5" "parameter values"
