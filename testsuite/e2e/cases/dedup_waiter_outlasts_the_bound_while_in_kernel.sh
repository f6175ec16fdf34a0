#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The wait bound is for holders stuck before the kernel (see
# dedup_holder_stopped_or_killed_around_its_syscall). A holder in the kernel
# is waited for past it (KMODX_LOCK_WAIT_MS=200), with no load syscall of the
# waiter's own (the kernel would only make that one wait too, after reading
# and allocating the module), both when the module is coming (its init
# hangs) and when the holder is still in its load call before that
# (/proc/PID/syscall names finit_module, or says "running"). Each time the
# waiter then finds evdev live, says under -v why it waited so long, and both
# exit 0 after a single load syscall. Also: the already-live fast path never
# touches the runtime directory.
. "$(dirname "$0")/../lib.sh"

# holder_and_waiter CONFIG UNTIL: a holder loading evdev in a simulated
# kernel with CONFIG, then (once the test UNTIL succeeds) a waiter with a
# 200 ms bound; both in the background ($holder, $waiter), the waiter's
# output in w.out / w.err.
holder_and_waiter() {
    ROOT=$(new_root)
    mkdir -p "$ROOT/run" "$ROOT/.simkernel"
    printf '%s\n' "$1" >"$ROOT/.simkernel/config"
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
        "$SIMRUN" "$ROOT" "$KMODX_BUILD/tools/modprobe" -q evdev </dev/null >"$E2E_TMP/h.out" 2>&1 &
    holder=$!
    wait_for "the holder to reach its syscall ($2)" eval "$2"
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin KMODX_LOCK_WAIT_MS=200 ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
        "$SIMRUN" "$ROOT" "$KMODX_BUILD/tools/modprobe" -v evdev </dev/null >"$E2E_TMP/w.out" 2>"$E2E_TMP/w.err" &
    waiter=$!
    wait_openers "$ROOT/run/kmodx/locks/evdev" 2
}

# still_waiting SECONDS WHILE: past the bound the waiter is still waiting and
# only the holder's load call has begun.
still_waiting() {
    sleep "$1"
    kill -0 "$waiter" 2>/dev/null || { wait "$waiter"; die "the waiter stopped waiting while $2 (exit $?): $(cat "$E2E_TMP/w.out" "$E2E_TMP/w.err"); holder: $(cat "$E2E_TMP/h.out"); calls: $(cat "$ROOT/.simkernel/entered.log" "$ROOT/.simkernel/calls.log" 2>&1)"; }
    assert_eq "$(grep -c . "$ROOT/.simkernel/entered.log")" 1 "load syscalls begun while $2 (the holder's)"
}

# both_done: both exit 0 after one load syscall; the waiter says why it
# waited past the bound and who loaded evdev.
both_done() {
    wait "$holder" || die "holder exited $?"
    wait "$waiter" || die "waiter exited $?: $(cat "$E2E_TMP/w.err")"
    grep -qx "modprobe: NOTICE: evdev was still loading in the kernel when the wait bound passed: waited on, as the kernel would make a second load wait too" "$E2E_TMP/w.err" ||
        die "no note about the bound: $(cat "$E2E_TMP/w.err")"
    grep -q "^modprobe: NOTICE: evdev loaded by pid [0-9]*, waited [0-9]* ms$" "$E2E_TMP/w.err" ||
        die "no note about the holder's load: $(cat "$E2E_TMP/w.err")"
    assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls (the holder's only)"
    assert_eq "$(grep -c . "$ROOT/.simkernel/entered.log")" 1 "load syscalls begun (the holder's only)"
}

# evdev coming, its init hanging; ten times the bound, and more than one
# extension of the wait.
holder_and_waiter 'hang.evdev=1' '[ -d "$ROOT/sys/module/evdev" ]'
still_waiting 2 "evdev is coming"
touch "$ROOT/.simkernel/release.evdev"
both_done

# The holder in its load call, evdev not yet coming (a slow read or
# signature check that lasts until released: a timed one lets a slow machine
# finish it before the check).
holder_and_waiter 'hang_early.evdev=1' '[ -n "$(ls "$ROOT/.simkernel/inload" 2>/dev/null)" ]'
still_waiting 2 "the holder is in its load call"
[ ! -d "$ROOT/sys/module/evdev" ] || die "evdev became coming while the holder was to hang before that"
touch "$ROOT/.simkernel/release.evdev"
both_done
[ ! -e "$ROOT/.simkernel/inload" ] || [ -z "$(ls "$ROOT/.simkernel/inload")" ] ||
    die "the simulated kernel still shows a process in a load call: $(ls "$ROOT/.simkernel/inload")"

# The same holder while the kernel shows it "running" (runnable, on a CPU or
# waiting for one: /proc/PID/syscall then names no syscall). On a starved
# 32-vCPU boot holders inside finit_module read so most of the time.
holder_and_waiter "$(printf 'hang_early.evdev=1\nsyscall_shows=running')" '[ -n "$(ls "$ROOT/.simkernel/inload" 2>/dev/null)" ]'
still_waiting 2 "the holder is running in its load call"
touch "$ROOT/.simkernel/release.evdev"
both_done

# Fast path: evdev is live, nothing to load, no runtime directory created.
ROOT=$(new_root)
mkdir -p "$ROOT/run"
run_stock "$ROOT" modprobe evdev
assert_rc 0
run_kmodx "$ROOT" modprobe -v evdev
assert_rc 0
assert_out_eq ""
[ ! -e "$ROOT/run/kmodx" ] || die "the already-live path created the runtime directory"
echo "ok"
