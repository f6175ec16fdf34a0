#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A loader outside kmodx (stock kmod here, udev's builtin in real life) is in
# the middle of loading evdev (its init hangs): a storm of kmodx requests
# makes no load syscall while evdev is coming, waits under the lock, and
# finishes once the init does (one -v note says so). When the outside load
# fails instead, exactly one kmodx process loads it itself, and every kmodx
# process exits with kmod's answer for that failure. Past the bound, kmodx
# stops waiting, says so under -v and leaves the wait to the kernel.
. "$(dirname "$0")/../lib.sh"

wait_coming() {
    wait_for "the outside loader to reach its syscall" test -d "$ROOT/sys/module/evdev"
}

kmodx_storm() {  # kmodx_storm N ARGS...: in the background, tags k.1 .. k.N
    n=$1; shift
    i=0
    while [ "$i" -lt "$n" ]; do
        i=$((i + 1))
        spawn "k.$i" "$ROOT" "$KMODX_BUILD/tools/modprobe" "$@"
    done
}

# The outside load succeeds.
ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/.simkernel"
printf 'hang.evdev=1\n' >"$ROOT/.simkernel/config"
spawn outside "$ROOT" "$E2E_TMP/stock/modprobe" evdev
wait_coming
kmodx_storm 16 -v evdev
wait_openers "$ROOT/run/kmodx/locks/evdev" 1
sleep 0.5
assert_eq "$(ls "$E2E_TMP"/k.*.rc 2>/dev/null)" "" "kmodx processes finished while evdev was coming"
assert_eq "$(load_calls "$ROOT" evdev)" 0 "load syscalls while evdev is coming (the outside one has not returned)"
grep -q "^pid " "$ROOT/run/kmodx/locks/evdev" && die "a kmodx process loaded: $(cat "$ROOT/run/kmodx/locks/evdev")"
touch "$ROOT/.simkernel/release.evdev"
wait
assert_eq "$(cat "$E2E_TMP/outside.rc")" 0 "exit status of the outside loader"
i=0
while [ "$i" -lt 16 ]; do
    i=$((i + 1))
    assert_eq "$(cat "$E2E_TMP/k.$i.rc")" 0 "exit status of kmodx process $i ($(cat "$E2E_TMP/k.$i.err"))"
done
assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls (the outside loader's only)"
for i in $(seq 1 16); do
    [ -s "$E2E_TMP/k.$i.err" ] || continue
    grep -q "^modprobe: NOTICE: evdev loaded by pid" "$E2E_TMP/k.$i.err" && die "a kmodx process claims a kmodx load: $(cat "$E2E_TMP/k.$i.err")"
done
notes=$(cat "$E2E_TMP"/k.*.err | grep -c "^modprobe: NOTICE: evdev loaded outside kmodx, waited [0-9]* ms$")
assert_eq "$notes" 1 "-v notes about the outside load (the one process that waited for it under the lock)"
grep -q "^evdev .* Live " "$ROOT/proc/modules" || die "evdev not live"
flock -n "$ROOT/run/kmodx/locks/evdev" true || die "evdev still locked"

# The outside load fails (evdev's init: ENODEV).
REF=$(new_root)
mkdir -p "$REF/.simkernel"
printf 'fail.evdev=ENODEV\n' >"$REF/.simkernel/config"
run_stock "$REF" modprobe evdev
assert_rc 1
expected=$ERR

rm -f "$E2E_TMP"/k.* "$E2E_TMP"/outside.*
ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/.simkernel"
printf 'hang.evdev=1\nfail.evdev=ENODEV\n' >"$ROOT/.simkernel/config"
spawn outside "$ROOT" "$E2E_TMP/stock/modprobe" evdev
wait_coming
kmodx_storm 8 evdev
wait_openers "$ROOT/run/kmodx/locks/evdev" 1
sleep 0.5
assert_eq "$(ls "$E2E_TMP"/k.*.rc 2>/dev/null)" "" "kmodx processes finished while evdev was coming"
touch "$ROOT/.simkernel/release.evdev"
wait
assert_eq "$(cat "$E2E_TMP/outside.rc")" 1 "exit status of the failing outside loader"
i=0
while [ "$i" -lt 8 ]; do
    i=$((i + 1))
    assert_eq "$(cat "$E2E_TMP/k.$i.rc")" 1 "exit status of kmodx process $i"
    ERR=$(cat "$E2E_TMP/k.$i.err"; echo x); ERR=${ERR%x}
    assert_eq "$ERR" "$expected" "stderr of kmodx process $i"
done
assert_eq "$(load_calls "$ROOT" evdev)" 2 "load syscalls (the outside loader's, then one kmodx process's)"
grep -q "^err 19$" "$ROOT/run/kmodx/locks/evdev" || die "the kmodx load left no ENODEV record: $(cat "$ROOT/run/kmodx/locks/evdev")"

# Still coming after the bound (KMODX_LOCK_WAIT_MS=300).
rm -f "$E2E_TMP"/k.* "$E2E_TMP"/outside.*
ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/.simkernel"
printf 'hang.evdev=1\n' >"$ROOT/.simkernel/config"
spawn outside "$ROOT" "$E2E_TMP/stock/modprobe" evdev
wait_coming
SIM_ENV=KMODX_LOCK_WAIT_MS=300
kmodx_storm 1 -v evdev
SIM_ENV=
wait_openers "$ROOT/run/kmodx/locks/evdev" 1
sleep 2
[ ! -f "$E2E_TMP/k.1.rc" ] || die "kmodx finished while evdev was coming: $(cat "$E2E_TMP/k.1.out" "$E2E_TMP/k.1.err")"
touch "$ROOT/.simkernel/release.evdev"
wait
assert_eq "$(cat "$E2E_TMP/k.1.rc")" 0 "exit status of kmodx past the bound"
grep -q "^modprobe: NOTICE: evdev still loading outside kmodx after [0-9]* ms, loading it anyway$" "$E2E_TMP/k.1.err" ||
    die "no note about the bound: $(cat "$E2E_TMP/k.1.err")"
awk -F'\t' '$3=="finit_module" && $4=="evdev" && $6=="EEXIST"' "$ROOT/.simkernel/calls.log" | grep -q . ||
    die "kmodx's load past the bound was not answered EEXIST by the kernel: $(cat "$ROOT/.simkernel/calls.log")"
echo "ok"
