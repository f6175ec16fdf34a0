#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# fail.NAME makes the module's init return an errno: modprobe reports it, nothing stays loaded.
mkmod foo
run_depmod
config "fail.foo=ENODEV"
rc=0; out=$(sim modprobe foo 2>&1) || rc=$?
expect_eq "$rc" "1" "modprobe exit"
expect_eq "$out" "modprobe: ERROR: could not insert 'foo': No such device" "modprobe message"
expect_eq "$(initstate foo)" "absent" "sysfs"
expect_eq "$(cat "$ROOT/proc/modules")" "" "/proc/modules"
expect_eq "$(cut -f6,13 "$ROOT/.simkernel/calls.log")" "$(printf 'ENODEV\tinit')" "log"
expect_eq "$(report --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["other_errors"], t["failed_init"], t["wasted_bytes"], t["current_bytes"])')" "1 1 0 0" "report: init failures waste nothing"
# early_fail: refused before allocation (a rejected signature)
config "early_fail.foo=EKEYREJECTED"
rc=0; out=$(sim insmod "$MODDIR/foo.ko" 2>&1) || rc=$?
expect_eq "$out" "insmod: ERROR: could not insert module $MODDIR/foo.ko: Key was rejected by service" "early_fail message"
expect_eq "$(tail -n1 "$ROOT/.simkernel/calls.log" | cut -f6,10,13)" "$(printf 'EKEYREJECTED\t0\tbecoming')" "early_fail log"
# fail_remove
: > "$ROOT/.simkernel/config"
sim modprobe foo || fail "modprobe foo"
config "fail_remove.foo=EAGAIN"
rc=0; out=$(sim rmmod foo 2>&1) || rc=$?
expect_eq "$rc" "1" "rmmod with fail_remove"
expect_eq "$(initstate foo)" "live" "still loaded"
