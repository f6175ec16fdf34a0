#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# 400 processes at once, spread over targets that share dependencies (nvme,
# t10_pi and nvme_core share crc64*; btrfs and xfs share libcrc32c; the
# chain and the diamond share their lower modules): every process exits 0,
# the kernel ends with the same modules as after one stock modprobe per
# target, and kmodx made exactly one load syscall for each of them.
. "$(dirname "$0")/../lib.sh"

targets="nvme t10_pi nvme_core btrfs xfs chain_a chain_c diamond_top diamond_left libcrc32c"

# The reference: stock kmod, one target after the other.
REF=$(new_root)
for t in $targets; do
    run_stock "$REF" modprobe -q -- "$t"
    assert_rc 0
done
want=$(cut -d' ' -f1 "$REF/proc/modules" | LC_ALL=C sort)
[ "$(printf '%s\n' "$want" | wc -l)" -ge 15 ] || die "reference loaded too little: $want"

ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/.simkernel"
echo "load_ns_base=5ms" >"$ROOT/.simkernel/config"
i=0
while [ "$i" -lt 400 ]; do
    i=$((i + 1))
    t=$(echo $targets | cut -d' ' -f$((i % 10 + 1)))
    spawn "s.$i" "$ROOT" "$KMODX_BUILD/tools/modprobe" -q -- "$t"
done
wait
i=0
while [ "$i" -lt 400 ]; do
    i=$((i + 1))
    assert_eq "$(cat "$E2E_TMP/s.$i.rc")" 0 "exit status of process $i ($(cat "$E2E_TMP/s.$i.out" "$E2E_TMP/s.$i.err"))"
done
got=$(cut -d' ' -f1 "$ROOT/proc/modules" | LC_ALL=C sort)
assert_eq "$got" "$want" "loaded modules"
for m in $got; do
    assert_eq "$(load_calls "$ROOT" "$m")" 1 "load syscalls for $m"
    flock -n "$ROOT/run/kmodx/locks/$m" true || die "$m still locked"
done
echo "ok ($(printf '%s\n' "$got" | wc -l) modules, one load each)"
