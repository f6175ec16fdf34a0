#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The holder of evdev's lock is SIGKILLed during its (hanging) init: the lock
# dies with it, the waiters go on, the module ends up loaded and exactly one
# more load syscall is made (by the waiter that finds it coming; the kernel
# answers it EEXIST once init finishes), every waiter exits 0. Under -v the
# waiters say whom they wait for as the wait begins.
. "$(dirname "$0")/../lib.sh"

launch() {  # launch TAG ARGS...: one modprobe in the background; pid in $LAST
    tag=$1; shift
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ LANG=C.UTF-8 \
        ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
        "$SIMRUN" "$ROOT" "$KMODX_BUILD/tools/modprobe" "$@" </dev/null \
        >"$E2E_TMP/$tag.out" 2>"$E2E_TMP/$tag.err" &
    LAST=$!
}

ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/.simkernel"
printf 'hang.evdev=1\n' >"$ROOT/.simkernel/config"
launch holder -q evdev
holder=$LAST
wait_for "the holder's syscall" test -d "$ROOT/sys/module/evdev"

waiters=""
i=0
while [ "$i" -lt 8 ]; do
    i=$((i + 1))
    launch "w$i" -v evdev
    waiters="$waiters $LAST"
done
# -v tells the person waiting who has the module, as the wait begins; every
# waiter is waiting once all eight have said so (however slow their start-up).
note="modprobe: NOTICE: evdev is being loaded by pid $holder: waiting for it"
i=0
while [ "$i" -lt 8 ]; do
    i=$((i + 1))
    wait_for "w$i's waiting note" grep -qxF "$note" "$E2E_TMP/w$i.err"
done
sleep 0.2
for p in $waiters; do kill -0 "$p" 2>/dev/null || die "waiter $p finished while the lock was held"; done
test "$(load_calls "$ROOT" evdev)" = 0 || die "a waiter loaded while the lock was held: $(cat "$ROOT/.simkernel/calls.log")"

kill -KILL "$holder"
wait "$holder" 2>/dev/null || true
# The kernel's init is still running for the dead holder. One waiter takes
# the lock, finds evdev coming and calls the kernel, which makes it wait for
# that init: let the init finish only once that call is in flight.
wait_for "a waiter's load syscall" sh -c "[ \$(grep -c . '$ROOT/.simkernel/entered.log') -ge 2 ]"
touch "$ROOT/.simkernel/release.evdev"
for p in $waiters; do
    wait "$p" || die "a waiter exited $?: $(cat "$E2E_TMP"/w*.err)"
done
grep -q "^evdev .* Live " "$ROOT/proc/modules" || die "evdev not live: $(cat "$ROOT/proc/modules")"
# The dead holder's syscall never returned, so the log has only the one
# waiter's, which the kernel answered EEXIST once the init it was waiting
# for finished; the other waiters found evdev live under the lock.
assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls after the holder died"
awk -F'\t' '$3=="finit_module" && $4=="evdev" && $6=="EEXIST"' "$ROOT/.simkernel/calls.log" | grep -q . ||
    die "the waiter's load did not wait for the dead holder's init: $(cat "$ROOT/.simkernel/calls.log")"
flock -n "$ROOT/run/kmodx/locks/evdev" true || die "evdev still locked"
echo "ok"
