#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A storm of kmodx modprobe (8 as udev runs them, 8 as systemd's
# modprobe@.service does) in the simulated kernel, then `modprobe --stats`:
# each module of nvme's chain loaded once, the other requests suppressed or
# already live, none reaching the kernel as a duplicate, the requests split
# between udev and systemd, and the kernel's own figures (simkernel-report --debugfs)
# agreeing with kmodx's on what was loaded.
. "$(dirname "$0")/../lib.sh"

REPORT="$(dirname "$SIMRUN")/simkernel-report"
TAB=$(printf '\t')
CHAIN=5  # nvme nvme_core t10_pi crc64_rocksoft crc64

ROOT=$(new_root)
mkdir -p "$ROOT/proc/sys/kernel/random" "$ROOT/run" "$ROOT/var/lib" "$ROOT/.simkernel"
echo 55555555-5555-4555-8555-555555555555 >"$ROOT/proc/sys/kernel/random/boot_id"
printf 'load_ns_base=40ms\n' >"$ROOT/.simkernel/config"

i=0
while [ "$i" -lt 8 ]; do
    i=$((i + 1))
    SIM_ENV="ACTION=add SEQNUM=$i DEVPATH=/devices/pci0000:00/nvme$i" spawn "u.$i" "$ROOT" "$KMODX_BUILD/tools/modprobe" -b nvme
    SIM_ENV="INVOCATION_ID=0123456789abcdef$i" spawn "s.$i" "$ROOT" "$KMODX_BUILD/tools/modprobe" -abq nvme
done
wait
i=0
while [ "$i" -lt 8 ]; do
    i=$((i + 1))
    assert_eq "$(cat "$E2E_TMP/u.$i.rc")" 0 "udev request $i"
    assert_eq "$(cat "$E2E_TMP/s.$i.rc")" 0 "systemd request $i"
done
for m in nvme nvme_core t10_pi crc64_rocksoft crc64; do
    assert_eq "$(load_calls "$ROOT" "$m")" 1 "load syscalls for $m"
done

python3 "$REPORT" "$ROOT" --debugfs >/dev/null || die "simkernel-report --debugfs failed"
run_kmodx "$ROOT" modprobe --stats=json
assert_rc 0
printf '%s' "$OUT" | python3 -c '
import json, sys
chain = int(sys.argv[1])
d = json.load(sys.stdin)
o = d["outcomes"]
assert o["loaded"] == chain, o
# Sixteen commands, each an event per module of the chain.
assert d["boot"]["commands"] == 16, d["boot"]
# One load per module; the other requests waited or found them live.
assert o["loaded"] + o["suppressed"] + o["already_live"] == d["boot"]["events"], o
assert o["duplicate_in_kernel"] == 0 and o["failed_kernel"] == 0, o
req = {r["requester"]: r for r in d["requesters"]}
assert set(req) == {"udev", "systemd"}, req
assert req["udev"]["requests"] >= 8 and req["systemd"]["requests"] >= 8, req
assert req["udev"]["requests"] + req["systemd"]["requests"] == d["boot"]["events"], req
assert sum(r["loaded"] for r in req.values()) == chain
assert d["debugfs"]["mods_ever_loaded"] == chain
assert d["debugfs"]["duplicate_failed_modules"] == []
assert d["debugfs"]["total_module_size"] > 0
k = d["kernel_debugfs"]
assert k is not None and k["mods_ever_loaded"] == chain and k["duplicate_failed_modules"] == [], k
saved = {s["module"]: s for s in d["suppressed"]}
assert sum(s["suppressed"] for s in saved.values()) == o["suppressed"], saved
# nvme itself was asked for by all 16: one loaded it, the rest were kept from the kernel.
assert saved["nvme"]["suppressed"] + o["already_live"] >= 15 and saved["nvme"]["bytes_saved"] > 0, saved
# The time waiters spent: the loader holds the lock of nvme for its 40 ms load at
# least, so every suppressed request waited, at most for the whole storm.
waits = {w["module"]: w for w in d["waits"]}
if saved["nvme"]["suppressed"]:
    w = waits["nvme"]
    assert w["requests"] >= saved["nvme"]["suppressed"], (w, saved["nvme"])
    assert 0 < w["worst_ns"] <= w["total_ns"], w
    assert w["total_ns"] >= w["requests"] * 1_000_000, w
' "$CHAIN" || die "stats after the storm: $OUT"

run_kmodx "$ROOT" modprobe --stats
assert_rc 0
printf '%s\n' "$OUT" | grep -qxF "         Mods ever loaded${TAB}$CHAIN" || die "text report: $OUT"
printf '%s\n' "$OUT" | grep -qxF "$(printf '%25s\t%15s\t%15s' "Mods ever loaded" "$CHAIN" "$CHAIN")" ||
    die "kmodx and the kernel disagree on loads: $OUT"
printf '%s\n' "$OUT" | grep -q "^ *udev$TAB *[0-9][0-9]*$TAB" || die "udev requests: $OUT"
printf '%s\n' "$OUT" | grep -q "^ *systemd$TAB *[0-9][0-9]*$TAB" || die "systemd requests: $OUT"
