#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# SIMKERNEL_TIME_LOG: each module call appends the nanoseconds it spent in the
# simulated kernel, loads that fail included; without the variable, nothing.
mkmod foo
run_depmod
config load_ns_base=20ms
log=$T/kernel-ns
timed() {
    timeout 60 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SIMKERNEL_LIB="$SIMKERNEL_LIB" \
        SIMKERNEL_TIME_LOG="$log" sh "$SIMRUN" "$ROOT" "$@"
}
timed insmod "$MODDIR/foo.ko" || fail "insmod"
timed insmod "$MODDIR/foo.ko" 2>/dev/null && fail "second insmod should fail with EEXIST"
timed rmmod foo || fail "rmmod"
expect_eq "$(wc -l < "$log" | tr -d ' ')" "3" "one line per module call"
first=$(head -n 1 "$log")
# The load slept load_ns_base (20 ms) inside the simulated kernel.
[ "$first" -ge 20000000 ] || fail "the load's line is $first ns, less than its 20 ms"
grep -qv '^[0-9][0-9]*$' "$log" && fail "a line is not a number: $(cat "$log")"
sim insmod "$MODDIR/foo.ko" || fail "insmod without the log"
expect_eq "$(wc -l < "$log" | tr -d ' ')" "3" "no line without SIMKERNEL_TIME_LOG"
echo ok
