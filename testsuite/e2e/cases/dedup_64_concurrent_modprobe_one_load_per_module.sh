#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# 64 processes ask for nvme (a 5-module chain) at once, each init taking
# 20 ms: kmodx makes exactly one load syscall per module and every process
# exits 0; stock kmod, the baseline, loads some module more than once.
. "$(dirname "$0")/../lib.sh"


chain="nvme nvme_core t10_pi crc64_rocksoft crc64"

ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/.simkernel"
echo "load_ns_base=20ms" >"$ROOT/.simkernel/config"
storm 64 "$ROOT" "$KMODX_BUILD/tools/modprobe" -q -- nvme
i=0
while [ "$i" -lt 64 ]; do
    i=$((i + 1))
    assert_eq "$(cat "$E2E_TMP/s.$i.rc")" 0 "exit status of process $i"
    assert_eq "$(cat "$E2E_TMP/s.$i.out" "$E2E_TMP/s.$i.err")" "" "output of process $i"
done
for m in $chain; do
    assert_eq "$(load_calls "$ROOT" "$m")" 1 "load syscalls for $m"
    grep -q "^$m " "$ROOT/proc/modules" || die "$m not loaded"
done
# One lock file per module, none left locked.
for m in $chain; do
    [ -f "$ROOT/run/kmodx/locks/$m" ] || die "no lock file for $m"
    flock -n "$ROOT/run/kmodx/locks/$m" true || die "$m still locked"
done
grep -q "^err 0$" "$ROOT/run/kmodx/locks/nvme" || die "nvme's record is not a success: $(cat "$ROOT/run/kmodx/locks/nvme")"

# The baseline: stock kmod under the same storm.
ROOT=$(new_root)
mkdir -p "$ROOT/.simkernel"
echo "load_ns_base=20ms" >"$ROOT/.simkernel/config"
storm 64 "$ROOT" "$E2E_TMP/stock/modprobe" -q -- nvme
total=0
for m in $chain; do total=$((total + $(load_calls "$ROOT" "$m"))); done
[ "$total" -gt 5 ] || die "stock kmod made only $total load syscalls; the storm did not overlap"
echo "ok (stock kmod: $total load syscalls for 5 modules, kmodx: 5)"
