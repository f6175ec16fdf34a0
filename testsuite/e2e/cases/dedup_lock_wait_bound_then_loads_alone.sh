#!/bin/sh
# Waiting is bounded: with the holder stuck in a hanging init and
# KMODX_LOCK_WAIT_MS=200, a waiter gives up on the lock, loads on its own
# (the kernel then makes it wait for the init and answers EEXIST) and says so
# under -v; both exit 0. Also: the already-live fast path never touches the
# runtime directory.
. "$(dirname "$0")/../lib.sh"

ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/.simkernel"
printf 'hang.evdev=1\n' >"$ROOT/.simkernel/config"
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
    "$SIMRUN" "$ROOT" "$KMODX_BUILD/tools/modprobe" -q evdev </dev/null >/dev/null 2>&1 &
holder=$!
n=0
until [ -d "$ROOT/sys/module/evdev" ]; do
    n=$((n + 1)); [ "$n" -lt 200 ] || die "the holder never reached its syscall"; sleep 0.05
done
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin KMODX_LOCK_WAIT_MS=200 ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
    "$SIMRUN" "$ROOT" "$KMODX_BUILD/tools/modprobe" -v evdev </dev/null >"$E2E_TMP/w.out" 2>"$E2E_TMP/w.err" &
waiter=$!
sleep 1
kill -0 "$waiter" 2>/dev/null || die "the waiter did not go on to the kernel: $(cat "$E2E_TMP/w.out" "$E2E_TMP/w.err")"
touch "$ROOT/.simkernel/release.evdev"
wait "$holder" || die "holder exited $?"
wait "$waiter" || die "waiter exited $?: $(cat "$E2E_TMP/w.err")"
grep -q "^kmodx: evdev still locked after [0-9]* ms, loaded without waiting longer$" "$E2E_TMP/w.out" ||
    die "no note about the bound: $(cat "$E2E_TMP/w.out")"
assert_eq "$(load_calls "$ROOT" evdev)" 2 "load syscalls (holder and the waiter past the bound)"

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
