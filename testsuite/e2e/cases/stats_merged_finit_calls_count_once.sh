#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A kernel that merges concurrent finit_module() calls on one file (6.6+;
# the simulated kernel's model 6.5) answers 0 to every caller but forms the
# module once. 16 `modprobe --no-dedup` of one module at once: the store
# keeps one `loaded`, records each call the kernel merged as
# `merged_in_kernel`, and "Mods ever loaded" agrees with
# the kernel's own figure.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

REPORT="$(dirname "$SIMRUN")/simkernel-report"
ROOT=$(stats_root)
# Long enough an init that the 16 calls overlap it.
printf 'model=6.5\nload_ns_base=3s\n' >"$ROOT/.simkernel/config"
storm 16 "$ROOT" "$KMODX_BUILD/tools/modprobe" --no-dedup -q -- crc64
i=0
while [ "$i" -lt 16 ]; do
    i=$((i + 1))
    assert_eq "$(cat "$E2E_TMP/s.$i.rc")" 0 "exit status of process $i"
done
waits=$(python3 "$REPORT" "$ROOT" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["idempotent_waits"])')
[ "$waits" -ge 1 ] || die "the kernel merged no call: the storm did not overlap the load"

stats_events "$ROOT" >"$E2E_TMP/events"
assert_eq "$(awk '$2=="loaded"' "$E2E_TMP/events" | wc -l)" 1 "loaded events"
assert_eq "$(awk '$2=="merged_in_kernel"' "$E2E_TMP/events" | wc -l)" "$waits" "merged events (the kernel's idempotent waits)"

# The kernel's own figures, as /sys/kernel/debug/modules/stats in the root.
python3 "$REPORT" "$ROOT" --debugfs >/dev/null || die "simkernel-report --debugfs failed"
run_kmodx "$ROOT" modprobe --stats=json
assert_rc 0
printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
mine, k = d["debugfs"], d["kernel_debugfs"]
assert k is not None, d
assert mine["mods_ever_loaded"] == 1 == k["mods_ever_loaded"], (mine, k)
assert mine["total_module_size"] > 0, mine
assert d["outcomes"]["merged_in_kernel"] == int(sys.argv[1]), d["outcomes"]
' "$waits" || die "stats after the merged storm: $OUT"
echo "ok (1 loaded, $waits merged by the kernel)"
