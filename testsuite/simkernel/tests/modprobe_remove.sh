#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# modprobe -r removes the module: sysfs gone, /proc/modules empty, one delete_module logged.
mkmod foo
run_depmod
sim modprobe foo || fail "modprobe"
sim modprobe -r foo || fail "modprobe -r"
expect_eq "$(initstate foo)" "absent" "sysfs after removal"
expect_eq "$(cat "$ROOT/proc/modules")" "" "/proc/modules after removal"
expect_eq "$(grep -c delete_module "$ROOT/.simkernel/calls.log")" "1" "delete_module calls"
# kmod 30: removing a module that is not loaded is a silent success without a syscall
rc=0; out=$(sim modprobe -r foo 2>&1) || rc=$?
expect_eq "$rc:$out" "0:" "second modprobe -r"
rc=0; out=$(sim modprobe -r --first-time foo 2>&1) || rc=$?
expect_eq "$rc:$out" "1:modprobe: FATAL: Module foo is not in kernel." "modprobe -r --first-time"
expect_eq "$(report --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["unload_calls"], t["unload_successes"], t["current_bytes"])')" "1 1 0" "report unloads"
