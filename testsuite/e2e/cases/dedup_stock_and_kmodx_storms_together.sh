#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A loader outside kmodx racing kmodx: 32 stock `modprobe -q -- nvme` and 32
# kmodx ones at the same moment, each init taking 20 ms. Stock kmod knows
# nothing of kmodx's locks; kmodx still makes at most one load syscall per
# module between all of its processes (it waits for modules stock kmod has
# coming instead of loading them again), everyone exits 0 and the chain ends
# up live.
. "$(dirname "$0")/../lib.sh"

chain="nvme nvme_core t10_pi crc64_rocksoft crc64"
ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/.simkernel"
echo "load_ns_base=20ms" >"$ROOT/.simkernel/config"
PIDS=$E2E_TMP/kmodx.pids
: >"$PIDS"
i=0
while [ "$i" -lt 32 ]; do
    i=$((i + 1))
    # kmodx's pid, to tell its syscalls from stock kmod's in the call log.
    spawn "k.$i" "$ROOT" /bin/sh -c 'echo $$ >>"$1"; exec "$2" -q -- nvme' sh "$PIDS" "$KMODX_BUILD/tools/modprobe"
    spawn "s.$i" "$ROOT" "$E2E_TMP/stock/modprobe" -q -- nvme
done
wait
i=0
while [ "$i" -lt 32 ]; do
    i=$((i + 1))
    assert_eq "$(cat "$E2E_TMP/k.$i.rc")" 0 "exit status of kmodx process $i ($(cat "$E2E_TMP/k.$i.err"))"
    assert_eq "$(cat "$E2E_TMP/s.$i.rc")" 0 "exit status of stock process $i ($(cat "$E2E_TMP/s.$i.err"))"
done
assert_eq "$(wc -l <"$PIDS")" 32 "kmodx pids recorded"
for m in $chain; do
    grep -q "^$m .* Live " "$ROOT/proc/modules" || die "$m not live"
    by_kmodx=$(awk -F'\t' -v m="$m" 'NR == FNR {k[$1] = 1; next}
        ($3 == "finit_module" || $3 == "init_module") && $4 == m && ($2 in k) {n++} END {print n + 0}' \
        "$PIDS" "$ROOT/.simkernel/calls.log")
    [ "$by_kmodx" -le 1 ] || die "kmodx made $by_kmodx load syscalls for $m"
    # No lock file: every kmodx process found the module live before it
    # needed one (stock kmod was quicker), which leaves nothing locked either.
    [ ! -e "$ROOT/run/kmodx/locks/$m" ] || flock -n "$ROOT/run/kmodx/locks/$m" true || die "$m still locked"
done
total=0
for m in $chain; do total=$((total + $(load_calls "$ROOT" "$m"))); done
echo "ok ($total load syscalls in all, at most one per module from kmodx)"
