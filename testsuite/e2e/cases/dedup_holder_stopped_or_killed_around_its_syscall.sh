#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The lock holder stopped or killed outside its syscall (the killed-during
# case is dedup_holder_killed_waiters_finish). strace stops the holder at an
# exact point: just after it wrote its "pending" record (before the load), or
# in place of writing its final record (after the load).
#  - killed before its syscall: one waiter loads, the rest find it live; one
#    load syscall in all, every waiter exits 0.
#  - killed after its syscall: nobody loads again; a waiter says under -v
#    that the dead holder loaded it.
#  - stopped after its syscall, past the bound (KMODX_LOCK_WAIT_MS=300): the
#    waiters give up on the lock, find evdev live and load nothing.
#  - stopped past the bound (KMODX_LOCK_WAIT_MS=300): the waiters give up,
#    say so under -v and load on their own at once, unless another already
#    has (live by then: no syscall); the kernel loads evdev once and answers
#    the others EEXIST; the holder, continued, gets EEXIST
#    too. Everyone exits 0. (A waiter that starts only once evdev is live
#    takes the fast path instead, as on a loaded machine.)
. "$(dirname "$0")/../lib.sh"

command -v strace >/dev/null || skip "strace not installed"

# traced_holder ROOT WHEN [ERROR]: a kmodx modprobe evdev that stops itself
# (SIGSTOP) at its WHEN-th write to evdev's lock file (1: the pending record,
# 2: the final one); with ERROR that write is skipped. The tracer's pid in $TRACER.
traced_holder() {
    inject="pwrite64:signal=SIGSTOP:when=$2${3:+:error=$3}"
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
        strace -o "$E2E_TMP/strace.log" -f -P "$1/run/kmodx/locks/evdev" -e trace=pwrite64 -e inject="$inject" \
        "$SIMRUN" "$1" "$KMODX_BUILD/tools/modprobe" -q evdev </dev/null >"$E2E_TMP/holder.out" 2>&1 &
    TRACER=$!
}

# Waits until the holder is in the stop the injected SIGSTOP put it in, as
# strace reports it; its pid in $HOLDER. (ps shows "t" for every ptrace stop,
# and strace stops the holder at each of its system calls, which a loaded
# machine stretches out: the state says nothing.)
holder_stopped() {
    wait_for "the holder to stop" grep -qs -- "--- stopped by SIGSTOP ---" "$E2E_TMP/strace.log"
    HOLDER=$(pgrep -P "$TRACER" | head -n1)
}

# waiters N ROOT ARGS...: N kmodx modprobes in the background (tags w.1 .. w.N).
waiters() {
    n=$1 root=$2; shift 2
    i=0
    while [ "$i" -lt "$n" ]; do
        i=$((i + 1))
        spawn "w.$i" "$root" "$KMODX_BUILD/tools/modprobe" "$@"
    done
}

# waiter_done I: waits (10 s at most) for waiter I to exit while the holder
# is stopped with the lock.
waiter_done() {
    wait_for "waiter $1 to finish while the stopped holder held the lock" test -f "$E2E_TMP/w.$1.rc"
}

all_waiters_ok() {
    i=0
    while [ "$i" -lt "$1" ]; do
        i=$((i + 1))
        assert_eq "$(cat "$E2E_TMP/w.$i.rc")" 0 "exit status of waiter $i ($(cat "$E2E_TMP/w.$i.err"))"
    done
}

fresh_root() {
    rm -f "$E2E_TMP"/w.* "$E2E_TMP/strace.log"
    ROOT=$(new_root)
    mkdir -p "$ROOT/run" "$ROOT/.simkernel"
    echo "load_ns_base=20ms" >"$ROOT/.simkernel/config"
}

# holder_in_its_syscall: a fresh root whose traced holder is in its load
# call, evdev's init hanging until released; it will stop in place of its
# final record.
holder_in_its_syscall() {
    fresh_root
    echo "hang.evdev=1" >>"$ROOT/.simkernel/config"
    traced_holder "$ROOT" 2 EIO
    wait_for "the holder to reach its syscall" test -d "$ROOT/sys/module/evdev"
}

# Killed before its syscall.
fresh_root
traced_holder "$ROOT" 1
holder_stopped
grep -q "^err pending$" "$ROOT/run/kmodx/locks/evdev" || die "no pending record: $(cat "$ROOT/run/kmodx/locks/evdev")"
waiters 8 "$ROOT" -v evdev
sleep 0.3
assert_eq "$(load_calls "$ROOT" evdev)" 0 "load syscalls while the holder is stopped"
kill -KILL "$HOLDER"
wait
all_waiters_ok 8
assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls after the holder died before its own"
grep -q "^evdev .* Live " "$ROOT/proc/modules" || die "evdev not live"
flock -n "$ROOT/run/kmodx/locks/evdev" true || die "evdev still locked"
grep -q "^err 0$" "$ROOT/run/kmodx/locks/evdev" || die "the waiter that loaded left no record"

# Killed after its syscall, before its final record. The waiters queue on
# the lock while the holder's init hangs (a live module would send them down
# the fast path, past the lock).
holder_in_its_syscall
waiters 8 "$ROOT" -v evdev
# Every waiter queued on the lock (the holder has it open too) before the
# init may finish: a late one would take the already-live fast path.
wait_openers "$ROOT/run/kmodx/locks/evdev" 9
touch "$ROOT/.simkernel/release.evdev"
holder_stopped
grep -q "^evdev .* Live " "$ROOT/proc/modules" || die "the holder stopped before loading"
grep -q "^err pending$" "$ROOT/run/kmodx/locks/evdev" || die "the final record was written"
dead=$HOLDER
sleep 0.2
assert_eq "$(ls "$E2E_TMP"/w.*.rc 2>/dev/null)" "" "waiters finished while the holder held the lock"
kill -KILL "$HOLDER"
wait
all_waiters_ok 8
assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls after the holder died after its own"
cat "$E2E_TMP"/w.*.err | grep -q "^modprobe: NOTICE: evdev loaded by pid $dead, waited [0-9]* ms$" ||
    die "no waiter named the dead holder: $(cat "$E2E_TMP"/w.*.err)"
flock -n "$ROOT/run/kmodx/locks/evdev" true || die "evdev still locked"

# Stopped after its syscall, before its final record, past the bound: the
# module is live, so the waiters that give up on the lock load nothing.
holder_in_its_syscall
SIM_ENV=KMODX_LOCK_WAIT_MS=300
waiters 4 "$ROOT" -v evdev
SIM_ENV=
wait_openers "$ROOT/run/kmodx/locks/evdev" 5
touch "$ROOT/.simkernel/release.evdev"
holder_stopped
for i in 1 2 3 4; do
    waiter_done "$i"
    grep -q "^modprobe: NOTICE: evdev still locked after [0-9]* ms, but live by then: not loaded again$" "$E2E_TMP/w.$i.err" ||
        die "waiter $i did not say it found evdev live past the bound: $(cat "$E2E_TMP/w.$i.err")"
done
all_waiters_ok 4
assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls with the holder stopped after its own"
kill -KILL "$HOLDER"
wait

# Stopped past the bound.
fresh_root
traced_holder "$ROOT" 1
holder_stopped
SIM_ENV=KMODX_LOCK_WAIT_MS=300
waiters 4 "$ROOT" -v evdev
SIM_ENV=
for i in 1 2 3 4; do waiter_done "$i"; done
all_waiters_ok 4
# A waiter that started late may find evdev live and take the fast path (no
# syscall, no note); one that gave up on the lock after another had loaded it
# says so and makes no syscall; every other one gave up and made one syscall.
gave_up=0
for i in 1 2 3 4; do
    if grep -q "^modprobe: NOTICE: evdev still locked after [0-9]* ms, loaded without waiting longer$" "$E2E_TMP/w.$i.err"; then
        gave_up=$((gave_up + 1))
    elif ! grep -q "^modprobe: NOTICE: evdev still locked after [0-9]* ms, but live by then: not loaded again$" "$E2E_TMP/w.$i.err"; then
        assert_eq "$(cat "$E2E_TMP/w.$i.out" "$E2E_TMP/w.$i.err")" "" "output of waiter $i, which did not give up on the lock"
    fi
done
[ "$gave_up" -ge 1 ] || die "no waiter gave up on the lock"
ok=$(awk -F'\t' '$3=="finit_module" && $4=="evdev" && $5==0' "$ROOT/.simkernel/calls.log" | wc -l)
eexist=$(awk -F'\t' '$3=="finit_module" && $4=="evdev" && $6=="EEXIST"' "$ROOT/.simkernel/calls.log" | wc -l)
assert_eq "$ok" 1 "successful loads by the waiters past the bound"
assert_eq "$eexist" $((gave_up - 1)) "EEXIST answers to the other waiters past the bound"
kill -CONT "$HOLDER"
wait "$TRACER" || die "the continued holder exited $?: $(cat "$E2E_TMP/holder.out")"
assert_eq "$(load_calls "$ROOT" evdev)" $((gave_up + 1)) "load syscalls in all"
ok=$(awk -F'\t' '$3=="finit_module" && $4=="evdev" && $5==0' "$ROOT/.simkernel/calls.log" | wc -l)
assert_eq "$ok" 1 "successful loads in all"
flock -n "$ROOT/run/kmodx/locks/evdev" true || die "evdev still locked"
echo "ok"
