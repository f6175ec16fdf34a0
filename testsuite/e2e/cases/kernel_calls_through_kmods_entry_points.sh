#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The module calls reach the kernel through the entry points kmod uses:
# glibc's init_module() and delete_module(), syscall(2) for finit_module. A
# tool that interposes libc (a tracer, an LD_PRELOAD test shim) must see
# kmodx's calls where it sees kmod's; the simulated kernel notes which entry
# point each call came through (SIMKERNEL_ENTRY_LOG).
. "$(dirname "$0")/../lib.sh"

# entries WHO: the calls of a plain load (evdev, finit_module), a load the
# kernel cannot decompress (xz_mod, init_module with the decompressed image,
# after its dependency chain_e by finit_module),
# an insmod by path, and their removals, as one tool makes them.
entries() {
    local who=$1 root log
    root=$(new_root)
    log="$E2E_TMP/entries.$who"
    : >"$log"
    SIM_ENV="SIMKERNEL_ENTRY_LOG=$log"
    "run_$who" "$root" modprobe evdev
    assert_rc 0
    "run_$who" "$root" modprobe xz_mod
    assert_rc 0
    "run_$who" "$root" insmod "$root/lib/modules/6.1.0-sim/kernel/drivers/input/serio/serio_raw.ko"
    assert_rc 0
    "run_$who" "$root" rmmod evdev xz_mod
    assert_rc 0
    "run_$who" "$root" modprobe -r serio_raw
    assert_rc 0
    SIM_ENV=
    cat "$log"
}

stock=$(entries stock)
kmodx=$(entries kmodx)
# Each call was seen, so an entry point that bypassed the trace fails here.
assert_eq "$(printf '%s\n' "$kmodx" | wc -l)" 7 "module calls kmodx made"
assert_eq "$kmodx" "$stock" "entry points, kmodx against kmod"
assert_eq "$(printf '%s\n' "$kmodx" | grep -c '^init_module libc$')" 1 "init_module through glibc"
assert_eq "$(printf '%s\n' "$kmodx" | grep -c '^delete_module libc$')" 3 "delete_module through glibc"
