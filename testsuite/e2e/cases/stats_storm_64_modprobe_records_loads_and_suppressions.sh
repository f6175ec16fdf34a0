#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# 64 `modprobe -q -- nvme` at once (a 5-module chain, 20 ms per init): the
# stats store holds exactly one Loaded event per module; every other module
# request is recorded as already live or suppressed, and the suppressed ones
# carry what the duplicate would have cost the kernel.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

chain="nvme nvme_core t10_pi crc64_rocksoft crc64"
ROOT=$(stats_root)
echo "load_ns_base=20ms" >"$ROOT/.simkernel/config"
storm 64 "$ROOT" "$KMODX_BUILD/tools/modprobe" -q -- nvme
i=0
while [ "$i" -lt 64 ]; do
    i=$((i + 1))
    assert_eq "$(cat "$E2E_TMP/s.$i.rc")" 0 "exit status of process $i"
    assert_eq "$(cat "$E2E_TMP/s.$i.out" "$E2E_TMP/s.$i.err")" "" "output of process $i"
done
stats_events "$ROOT" >"$E2E_TMP/events"
assert_eq "$(awk '$2=="loaded"' "$E2E_TMP/events" | wc -l)" 5 "loaded events"
for m in $chain; do
    assert_eq "$(awk -v m="$m" '$1==m && $2=="loaded"' "$E2E_TMP/events" | wc -l)" 1 "loaded events for $m"
    assert_eq "$(load_calls "$ROOT" "$m")" 1 "load syscalls for $m"
done
# Every process recorded nvme; nothing failed and nothing reached the kernel twice.
assert_eq "$(awk '$1=="nvme"' "$E2E_TMP/events" | wc -l)" 64 "events for nvme"
assert_eq "$(awk '$2!="loaded" && $2!="already_live" && $2!="suppressed"' "$E2E_TMP/events")" "" "other outcomes"
suppressed=$(awk '$2=="suppressed"' "$E2E_TMP/events" | wc -l)
[ "$suppressed" -gt 0 ] || die "no suppressed duplicates under a storm: $(sort "$E2E_TMP/events" | uniq -c)"
saved=$(awk '$2=="suppressed" {s+=$6} END {print s+0}' "$E2E_TMP/events")
[ "$saved" -gt 0 ] || die "suppressed duplicates saved no bytes"
awk '$2=="suppressed" && $6<=0 {exit 1}' "$E2E_TMP/events" || die "a suppressed event without its cost"
echo "ok (5 loaded, $suppressed suppressed saving $saved bytes, $(awk '$2=="already_live"' "$E2E_TMP/events" | wc -l) already live)"
