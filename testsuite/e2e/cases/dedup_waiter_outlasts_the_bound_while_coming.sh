#!/bin/sh
# The wait bound is for holders stuck before the kernel (see
# dedup_holder_stopped_or_killed_around_its_syscall). A holder whose module is
# coming is in the kernel: with its init hanging and KMODX_LOCK_WAIT_MS=200, a
# waiter waits on past the bound and makes no load syscall of its own (the
# kernel would only make it wait there too, after reading and allocating the
# module); once the init ends it finds evdev live, says under -v why it
# waited so long, and both exit 0 after a single load syscall. Also: the
# already-live fast path never touches the runtime directory.
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
wait_openers "$ROOT/run/kmodx/evdev" 2
# Ten times the bound, and more than one extension of the wait.
sleep 2
kill -0 "$waiter" 2>/dev/null || die "the waiter stopped waiting: $(cat "$E2E_TMP/w.out" "$E2E_TMP/w.err")"
assert_eq "$(grep -c . "$ROOT/.simkernel/entered.log")" 1 "load syscalls begun while evdev is coming (the holder's)"
touch "$ROOT/.simkernel/release.evdev"
wait "$holder" || die "holder exited $?"
wait "$waiter" || die "waiter exited $?: $(cat "$E2E_TMP/w.err")"
grep -qx "kmodx: evdev was still coming in the kernel when the wait bound passed: waited on, as the kernel would make a second load wait too" "$E2E_TMP/w.out" ||
    die "no note about the bound: $(cat "$E2E_TMP/w.out")"
grep -q "^kmodx: evdev loaded by pid [0-9]*, waited [0-9]* ms$" "$E2E_TMP/w.out" ||
    die "no note about the holder's load: $(cat "$E2E_TMP/w.out")"
assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls (the holder's only)"
assert_eq "$(grep -c . "$ROOT/.simkernel/entered.log")" 1 "load syscalls begun (the holder's only)"

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
