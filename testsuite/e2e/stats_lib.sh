# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the stats_* cases (sourced after lib.sh): a machine with a boot
# id, and the events kmodx appended to its stats store, one line each:
#   MODULE OUTCOME REQUESTER ERR TAINT KERNEL_ALLOC_BYTES TOOL PARENT_COMM COUNT DEVICE SEQNUM MODALIAS
# (COUNT > 1 only on a record that compaction folded from several; DEVICE,
# SEQNUM and MODALIAS are udev's, "-", 0 and "-" on a record without them).

STATS_BOOT=0d5c7b4e-1111-4c2a-9c3e-5a6b7c8d9e0f

# stats_root: a fresh machine whose kernel has a boot id.
stats_root() {
    local r
    r=$(new_root)
    mkdir -p "$r/proc/sys/kernel/random" "$r/run" "$r/.simkernel"
    echo "$STATS_BOOT" >"$r/proc/sys/kernel/random/boot_id"
    echo "$r"
}

# stats_events ROOT: the events of this boot, as above, read with the test
# suite's one definition of the record (testsuite/stats/record.py).
STATS_RECORD_PY=$(cd "$(dirname "$0")/../../stats" && pwd)
stats_events() {
    python3 - "$STATS_RECORD_PY" "$1/run/kmodx/stats/$STATS_BOOT.events" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import record
recs, _ = record.read_store(sys.argv[2])
for r in recs or []:
    print(r["module"], r["outcome"], r["requester"], r["err"], r["taint"] or "-", r["kernel_alloc_bytes"], r["tool"],
          r["parent_comm"] or "-", r["count"], r["device"] or "-", r["seqnum"], r["modalias"] or "-")
PY
}

# stats_count ROOT AWK_CONDITION: how many events match ($1 module, $2 outcome,
# ...), folded records counted as the events they stand for.
stats_count() { stats_events "$1" | awk "$2 {n += \$9} END {print n+0}"; }
