#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# A loader SIGKILLed after its sysfs directory appeared but before its /proc/modules row was
# written leaves a directory whose initstate says coming: the next load clears it (and the
# holder link it made in a dependency) and succeeds. A directory without initstate (a builtin's)
# still makes the load fail EINVAL.
mkmod base -x base_fn
mkmod top -d base -u base_fn
run_depmod
sim modprobe base || fail "modprobe base"
mkdir -p "$ROOT/sys/module/top/holders"
echo coming > "$ROOT/sys/module/top/initstate"
ln -s ../../top "$ROOT/sys/module/base/holders/top"
echo 1 > "$ROOT/sys/module/base/refcnt"
sim modprobe top || fail "modprobe top over a killed loader's debris"
expect_eq "$(initstate top)" "live" "top after the debris"
expect_eq "$(cat "$ROOT/sys/module/base/refcnt")" "1" "base's refcnt counts top once"
expect_eq "$(ls "$ROOT/sys/module/base/holders")" "top" "base's holders"
grep -q '^top ' "$ROOT/proc/modules" || fail "top not in /proc/modules"
# A builtin's directory: no initstate, the load is refused as before.
mkmod other
run_depmod
mkdir -p "$ROOT/sys/module/other/parameters"
rc=0; sim insmod "$MODDIR/other.ko" 2>/dev/null || rc=$?
expect_eq "$rc" "1" "insmod over a builtin's directory"
expect_eq "$(tail -n1 "$ROOT/.simkernel/calls.log" | cut -f6)" "EINVAL" "builtin clash errno"
echo ok
