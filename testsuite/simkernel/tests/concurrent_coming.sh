#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# Loads that arrive while the module is coming wait for it: EBUSY if its init fails, EEXIST if
# it goes live. A loader killed mid-init (hang.NAME) leaves the module coming until released.
mkmod foo
run_depmod
config "load_ns_base=2500ms"
config "fail.foo=ENODEV"
( rc=0; sim insmod "$MODDIR/foo.ko" > "$T/first.out" 2>&1 || rc=$?; echo $rc > "$T/first.rc" ) &
n=0; while [ "$(initstate foo)" != coming ] && [ $n -lt 500 ]; do sleep 0.01; n=$((n + 1)); done
expect_eq "$(initstate foo)" "coming" "first load is coming"
grep -q '^foo [0-9]* 0 - Loading 0x0000000000000000$' "$ROOT/proc/modules" || fail "Loading row: $(cat "$ROOT/proc/modules")"
i=0
while [ $i -lt 8 ]; do
    ( rc=0; sim insmod "$MODDIR/foo.ko" > "$T/out.$i" 2>&1 || rc=$?; echo $rc > "$T/rc.$i" ) &
    i=$((i + 1))
done
wait
expect_eq "$(cat "$T/first.out")" "insmod: ERROR: could not insert module $MODDIR/foo.ko: No such device" "first load"
busy=$(cat "$T"/out.* | grep -c ': Device or resource busy$' || true)
expect_eq "$busy" "8" "waiters get EBUSY"
expect_eq "$(report --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["ebusy"], t["failed_becoming"], t["failed_init"])')" "8 8 1" "report"

# holder killed: the simulated init keeps running until release.foo appears
: > "$ROOT/.simkernel/config"
config "hang.foo=1"
config "load_ns_base=1ms"
rm -f "$ROOT/.simkernel/calls.log" "$ROOT/.simkernel/entered.log"
timeout 60 env -i PATH=/usr/bin:/bin SIMKERNEL_ROOT="$ROOT" LD_PRELOAD="$SIMKERNEL_LIB" /usr/sbin/insmod "$MODDIR/foo.ko" &
holder=$!
n=0; while [ "$(initstate foo)" != coming ] && [ $n -lt 500 ]; do sleep 0.01; n=$((n + 1)); done
expect_eq "$(initstate foo)" "coming" "hung load is coming"
kill -9 $holder; wait $holder 2>/dev/null || true
( rc=0; sim insmod "$MODDIR/foo.ko" > "$T/late.out" 2>&1 || rc=$?; echo $rc > "$T/late.rc" ) &
# entered.log shows a call as it begins; calls.log only once it returns
n=0; while [ "$(grep -c . "$ROOT/.simkernel/entered.log")" -lt 2 ] && [ $n -lt 500 ]; do sleep 0.01; n=$((n + 1)); done
expect_eq "$(cut -f3 "$ROOT/.simkernel/entered.log" | tr '\n' ' ')" "finit_module finit_module " "calls begun"
sleep 0.3
expect_eq "$(cat "$ROOT/.simkernel/calls.log" 2>/dev/null | wc -l)" "0" "calls returned while foo is coming"
expect_eq "$(initstate foo)" "coming" "still coming after the holder died"
[ ! -e "$T/late.rc" ] || fail "a duplicate did not wait for the coming module"
touch "$ROOT/.simkernel/release.foo"
wait
expect_eq "$(initstate foo)" "live" "live once released"
expect_eq "$(cat "$T/late.out")" "insmod: ERROR: could not insert module $MODDIR/foo.ko: File exists" "waiter sees EEXIST"
