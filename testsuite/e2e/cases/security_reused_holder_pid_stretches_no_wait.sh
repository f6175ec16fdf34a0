#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# docs/security.md, attack 2: a holder killed inside its load call leaves a pending
# record naming its pid. An unprivileged user who is handed that pid and
# keeps it busy must not stretch a root wait: past the bound a waiter asks
# about the record's pid only while its start time is the record's. Here a
# root process holding the lock without writing a record of its own stands
# for a holder stuck before its load (stopped, say): the waiter gives up at
# its 1 s bound and loads. Without the start time it waited for as long as
# the user's process ran.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"
. "$(dirname "$0")/../security_lib.sh"

user_machine
lock=$ROOT/run/kmodx/locks/evdev
# The holder, killed inside its load call (before evdev is coming).
printf 'hang_early.evdev=1\n' >"$ROOT/.simkernel/config"
spawn h "$ROOT" "$KMODX_BUILD/tools/modprobe" -q evdev
in_load() { [ -n "$(ls "$ROOT/.simkernel/inload" 2>/dev/null)" ]; }
wait_for "the holder to reach its load call" in_load
dead=$(ls "$ROOT/.simkernel/inload")
kill -9 "$dead"
wait
: >"$ROOT/.simkernel/config"
grep -q "^err pending$" "$lock" || die "no pending record: $(cat "$lock")"
grep -q "^pid $dead$" "$lock" || die "the record does not name the killed holder $dead: $(cat "$lock")"

# The user takes the dead holder's pid (the next pid handed out is one past
# ns_last_pid; other processes may take it first, so try a few times) and
# keeps it busy.
got=
for try in $(seq 50); do
    echo $((dead - 1)) >/proc/sys/kernel/ns_last_pid
    # Not as_user: a function in the background is a subshell that forks again.
    env SIMKERNEL_ROOT="$ROOT" setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'while :; do :; done' &
    if [ "$!" = "$dead" ]; then got=$!; break; fi
    kill "$!"
done
[ -n "$got" ] || skip "could not hand pid $dead to the user (the machine is too busy)"

# A root holder stuck without a record of its own, and a waiter with a 1 s bound.
stuck_root_holder "$lock"
SIM_ENV=KMODX_LOCK_WAIT_MS=1000 E2E_TIMEOUT=20 run_kmodx "$ROOT" modprobe -v evdev
kill "$got" "$STUCK" 2>/dev/null
assert_rc 0
assert_err_contains "modprobe: NOTICE: evdev's lock record names a pid that another process has taken since: not waited for on its account"
assert_err_contains "modprobe: NOTICE: evdev still locked after"
grep -q "^evdev .* Live " "$ROOT/proc/modules" || die "evdev not loaded"
assert_eq "$(stats_count "$ROOT" '$1=="evdev" && $2=="loaded"')" 1 "evdev's loaded records"
echo ok
