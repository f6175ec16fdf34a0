#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# hang_early.NAME keeps a load call inside the kernel before the module is coming (a slow read or
# signature check): no sysfs directory, no /proc/modules row, no calls.log line; meanwhile the
# caller's /proc/PID/syscall names finit_module (313), and once release.NAME appears the call
# goes on to a live module and /proc/PID/syscall is the real one again. With syscall_shows=running
# it reads "running" inside the call, as the kernel shows a runnable task.
mkmod foo
run_depmod
config "hang_early.foo=1"
( rc=0; sim insmod "$MODDIR/foo.ko" > "$T/out" 2>&1 || rc=$?; echo $rc > "$T/rc" ) &
n=0; while [ -z "$(ls "$ROOT/.simkernel/inload" 2>/dev/null)" ] && [ $n -lt 500 ]; do sleep 0.01; n=$((n + 1)); done
pid=$(ls "$ROOT/.simkernel/inload")
[ -n "$pid" ] || fail "no process ever showed as inside a load call"
sleep 0.3
expect_eq "$(initstate foo)" "absent" "foo while the call hangs early"
expect_eq "$(grep -c '^foo ' "$ROOT/proc/modules" || true)" "0" "foo's /proc/modules rows while the call hangs early"
expect_eq "$(cat "$ROOT/.simkernel/calls.log" 2>/dev/null | wc -l)" "0" "calls returned while the call hangs early"
[ ! -e "$T/rc" ] || fail "the load returned before release.foo: $(cat "$T/out")"
expect_eq "$(sim cat "/proc/$pid/syscall" | cut -d' ' -f1)" "313" "/proc/$pid/syscall inside the call"
touch "$ROOT/.simkernel/release.foo"
wait
expect_eq "$(cat "$T/rc")" "0" "insmod once released"
expect_eq "$(initstate foo)" "live" "foo once released"
[ -z "$(ls "$ROOT/.simkernel/inload")" ] || fail "still shown inside a load call: $(ls "$ROOT/.simkernel/inload")"
expect_eq "$(cut -f3,4,13 "$ROOT/.simkernel/calls.log")" "$(printf 'finit_module\tfoo\tlive')" "calls.log"

config "hang_early.bar=1"
config "syscall_shows=running"
mkmod bar
run_depmod
( rc=0; sim insmod "$MODDIR/bar.ko" > "$T/out" 2>&1 || rc=$?; echo $rc > "$T/rc.bar" ) &
n=0; while [ -z "$(ls "$ROOT/.simkernel/inload" 2>/dev/null)" ] && [ $n -lt 500 ]; do sleep 0.01; n=$((n + 1)); done
pid=$(ls "$ROOT/.simkernel/inload")
[ -n "$pid" ] || fail "bar's loader never showed as inside a load call"
expect_eq "$(sim cat "/proc/$pid/syscall")" "running" "/proc/$pid/syscall with syscall_shows=running"
touch "$ROOT/.simkernel/release.bar"
wait
expect_eq "$(cat "$T/rc.bar")" "0" "insmod bar once released"
