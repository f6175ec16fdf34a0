#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A load asked for while the module is being removed (its state `going`):
# the kernel answers such a load EBUSY, so stock kmod fails; kmodx waits
# under the lock until the removal is over, then loads it (-v says so).
. "$(dirname "$0")/../lib.sh"

# going ROOT: removes evdev in the background (3 s in `going`), returns
# once it is going.
going() {
    spawn remover "$1" "$E2E_TMP/stock/modprobe" -r evdev
    wait_for -t 30 "evdev to be going" grep -qsx going "$1/sys/module/evdev/initstate"
}

setup() {
    ROOT=$(new_root)
    mkdir -p "$ROOT/run" "$ROOT/.simkernel"
    printf 'unload_ns=3s\n' >"$ROOT/.simkernel/config"
    run_stock "$ROOT" modprobe evdev
    assert_rc 0
}

# The baseline: stock kmod's load fails with EBUSY.
setup
going "$ROOT"
run_stock "$ROOT" modprobe evdev
assert_rc 1
assert_err_contains "could not insert 'evdev': Device or resource busy"
wait

# kmodx waits for the removal, then loads.
setup
going "$ROOT"
run_kmodx "$ROOT" modprobe -v evdev
assert_rc 0
assert_err_contains "modprobe: NOTICE: evdev was being removed, waited "
wait
assert_eq "$(cat "$E2E_TMP/remover.rc")" 0 "exit status of the removal"
grep -q "^evdev .* Live " "$ROOT/proc/modules" || die "evdev not live again"
assert_eq "$(awk -F'\t' '$3=="finit_module" && $4=="evdev" && $5==0' "$ROOT/.simkernel/calls.log" | wc -l)" 2 \
    "successful loads (the setup's and kmodx's after the removal)"
echo "ok"
