#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# When /sys/kernel/debug/modules/stats is readable, `modprobe --stats` shows
# the kernel's own figures beside the ones kmodx computed. The simulated
# kernel writes that file from its accounting (simkernel-report --debugfs)
# after a storm of Debian's modprobe, which records nothing in kmodx's store:
# the kernel column has the duplicates, kmodx's has none.
. "$(dirname "$0")/../lib.sh"

REPORT="$(dirname "$SIMRUN")/simkernel-report"
TAB=$(printf '\t')

ROOT=$(new_root)
mkdir -p "$ROOT/proc/sys/kernel/random" "$ROOT/run" "$ROOT/var/lib" "$ROOT/.simkernel"
echo 33333333-3333-4333-8333-333333333333 >"$ROOT/proc/sys/kernel/random/boot_id"
printf 'load_ns_base=40ms\n' >"$ROOT/.simkernel/config"

# Without the file: no kernel section.
run_kmodx "$ROOT" modprobe --stats
assert_rc 0
case "$OUT" in *"Kernel's own figures"*) die "kernel section without a kernel file" ;; esac

storm 8 "$ROOT" "$E2E_TMP/stock/modprobe" nvme
python3 "$REPORT" "$ROOT" --debugfs >/dev/null || die "simkernel-report --debugfs failed"
STATS="$ROOT/sys/kernel/debug/modules/stats"
[ -s "$STATS" ] || die "no $STATS"
kernel_value() { sed -n "s/^ *$1$TAB//p" "$STATS"; }
loaded=$(kernel_value "Mods ever loaded")
dups=$(awk -F'\t' 'table && $2 ~ /[0-9]/ {n += $2} /^Duplicate failed modules:/ {table=1} END {print n+0}' "$STATS")
# nvme's chain (nvme, nvme_core, t10_pi, crc64_rocksoft, crc64) loaded once each.
assert_eq "$loaded" 5 "modules the simulated kernel loaded"
[ "$dups" -gt 0 ] || die "the storm gave the kernel no duplicates: $(cat "$STATS")"

run_kmodx "$ROOT" modprobe --stats
assert_rc 0
expect_line() {
    printf '%s\n' "$OUT" | grep -qxF "$1" || die "no line '$1' in:
$OUT"
}
# kmodx's own debugfs section: stock kmod recorded nothing.
expect_line "         Mods ever loaded${TAB}0"
expect_line "Kernel's own figures (/sys/kernel/debug/modules/stats):"
expect_line "                   Figure${TAB}          kmodx${TAB}         kernel"
expect_line "$(printf '%25s\t%15s\t%15s' "Mods ever loaded" 0 "$loaded")"
expect_line "$(printf '%25s\t%15s\t%15s' "Duplicate failures" 0 "$dups")"
becoming=$(kernel_value "Failed becoming bytes")
expect_line "$(printf '%25s\t%15s\t%15s' "Failed becoming bytes" 0 "$becoming")"

run_kmodx "$ROOT" modprobe --stats=json
assert_rc 0
printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
k = d["kernel_debugfs"]
assert k is not None and k["mods_ever_loaded"] == int(sys.argv[1]), k
assert sum(m["count"] for m in k["duplicate_failed_modules"]) == int(sys.argv[2]), k
' "$loaded" "$dups" || die "kernel figures in JSON: $OUT"

run_kmodx "$ROOT" modprobe --stats=prometheus
assert_rc 0
assert_out_contains "kmodx_debugfs_modules_loaded_total{source=\"kernel\"} $loaded
"

# The kernel's figures belong to the running boot only.
echo "module=nvme outcome=already_live requester=user comm=sh" |
    sim_run "$ROOT" "$KMODX_BUILD/testsuite/stats/stats-gen" || die "stats-gen failed"
run_kmodx "$ROOT" modprobe --stats-archive
assert_rc 0
echo 44444444-4444-4444-8444-444444444444 >"$ROOT/proc/sys/kernel/random/boot_id"
run_kmodx "$ROOT" modprobe --stats --boot=-1
assert_rc 0
case "$OUT" in *"Kernel's own figures"*) die "kernel figures beside a previous boot" ;; esac
