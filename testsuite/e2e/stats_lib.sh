# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the stats_* cases (sourced after lib.sh): a machine with a boot
# id, and the events kmodx appended to its stats store, one line each:
#   MODULE OUTCOME REQUESTER ERR TAINT KERNEL_ALLOC_BYTES TOOL PARENT_COMM COUNT DEVICE SEQNUM MODALIAS
# (COUNT > 1 only on a record that compaction folded from several; DEVICE,
# SEQNUM and MODALIAS are udev's, "-", 0 and "-" on a record without them).
# read straight from the store's record lines (lib/stats/event.cpp: tab
# separated, tag k1, the header line's second field is "boot").

STATS_BOOT=0d5c7b4e-1111-4c2a-9c3e-5a6b7c8d9e0f

# stats_root: a fresh machine whose kernel has a boot id.
stats_root() {
    local r
    r=$(new_root)
    mkdir -p "$r/proc/sys/kernel/random" "$r/run" "$r/.simkernel"
    echo "$STATS_BOOT" >"$r/proc/sys/kernel/random/boot_id"
    echo "$r"
}

# stats_events ROOT: the events of this boot, as above.
stats_events() {
    python3 - "$1/run/kmodx/stats/$STATS_BOOT.events" <<'PY'
import sys
try:
    lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")
except FileNotFoundError:
    sys.exit(0)
for l in lines:
    f = l.split("\t")
    if len(f) < 28 or f[0] != "k1" or f[1] == "boot":
        continue
    device, seqnum, alias = (f[28] or "-", f[29], f[30] or "-") if len(f) == 32 else ("-", "0", "-")
    print(f[3], f[9], f[6], f[10], f[26] or "-", f[25], f[4], f[8] or "-", f[27], device, seqnum, alias)
PY
}

# stats_count ROOT AWK_CONDITION: how many events match ($1 module, $2 outcome,
# ...), folded records counted as the events they stand for.
stats_count() { stats_events "$1" | awk "$2 {n += \$9} END {print n+0}"; }
