#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The stats store cannot be written (its directory read-only, a file in the
# way, or no boot id to name it): every load still succeeds with exit 0 and
# exactly kmod's output, and nothing is left half-written.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

check_load() {
    run_kmodx "$1" modprobe -v crc64
    assert_rc 0
    assert_out_eq "insmod /lib/modules/6.1.0-sim/kernel/lib/crc64.ko 
"
    assert_err_eq ""
    grep -q '^crc64 ' "$1/proc/modules" || die "crc64 not loaded"
    # And the already-live fast path, quietly.
    run_kmodx "$1" modprobe -q -- crc64
    assert_rc 0
    assert_out_eq ""
    assert_err_eq ""
}

# The store's directory cannot be made (root ignores modes, so a file
# stands where the directory should be).
ROOT=$(stats_root)
mkdir -p "$ROOT/run/kmodx"
: >"$ROOT/run/kmodx/stats"
check_load "$ROOT"
[ -f "$ROOT/run/kmodx/stats" ] && [ ! -s "$ROOT/run/kmodx/stats" ] || die "the blocking file was touched"

# No boot id: nothing to name the store after.
ROOT=$(stats_root)
rm "$ROOT/proc/sys/kernel/random/boot_id"
check_load "$ROOT"
[ -z "$(ls "$ROOT/run/kmodx/stats" 2>/dev/null)" ] || die "a store without a boot id: $(ls "$ROOT/run/kmodx/stats")"

# A missing runtime directory whose parent cannot be created in.
ROOT=$(stats_root)
rm -rf "$ROOT/run"
: >"$ROOT/run"
check_load "$ROOT"
echo ok
