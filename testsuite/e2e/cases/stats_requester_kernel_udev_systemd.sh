#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Who asked: the kernel's call (argv {path, -q, --, NAME}, exactly its three
# environment variables), a udev rule's (SEQNUM/ACTION/DEVPATH), a systemd
# unit's (INVOCATION_ID), and anything else. A udev request keeps its device
# (DEVPATH, SEQNUM), and the report lists it; nobody else's record has one.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

ROOT=$(stats_root)
# As request_module() runs it: nothing but these three variables (and the
# simulated kernel's own, which simrun adds).
env -i HOME=/ TERM=linux PATH=/sbin:/usr/sbin:/bin:/usr/bin ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
    timeout -k 5 "$E2E_TIMEOUT" "$SIMRUN" "$ROOT" "$KMODX_BUILD/tools/modprobe" -q -- crc64 </dev/null >/dev/null 2>&1 ||
    die "kernel-style modprobe failed"
# The same call with one more variable is not the kernel's.
env -i HOME=/ TERM=linux PATH=/sbin:/usr/sbin:/bin:/usr/bin USER=root ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
    timeout -k 5 "$E2E_TIMEOUT" "$SIMRUN" "$ROOT" "$KMODX_BUILD/tools/modprobe" -q -- chain_e </dev/null >/dev/null 2>&1 ||
    die "near-kernel modprobe failed"
SIM_ENV="ACTION=add SEQNUM=4711 DEVPATH=/devices/pci0000:00/0000:00:1f.2 MODALIAS=pci:v00008086d00002922sv00001028sd0000020Dbc01sc06i01" \
    run_kmodx "$ROOT" modprobe -q -- t10_pi
assert_rc 0
SIM_ENV="INVOCATION_ID=5f2a3e0c9b7d4e1f8a6b5c4d3e2f1a0b" run_kmodx "$ROOT" modprobe -abq chain_d
assert_rc 0
run_kmodx "$ROOT" modprobe chain_c
assert_rc 0

stats_events "$ROOT" >"$E2E_TMP/events"
who() { awk -v m="$1" '$1==m && $2=="loaded" {print $3}' "$E2E_TMP/events"; }
assert_eq "$(who crc64)" kernel "requester of the kernel-style call"
assert_eq "$(who chain_e)" other "requester of a call with one variable more"
assert_eq "$(who t10_pi)" udev "requester under a udev environment"
assert_eq "$(who chain_d)" systemd "requester under a systemd unit"
assert_eq "$(who chain_c)" other "requester of a plain call without a terminal"
device() { awk -v m="$1" '$1==m && $2=="loaded" {print $10, $11, $12}' "$E2E_TMP/events"; }
assert_eq "$(device t10_pi)" "/devices/pci0000:00/0000:00:1f.2 4711 pci:v00008086d00002922sv00001028sd0000020Dbc01sc06i01" \
    "udev's device, event number and modalias"
for m in crc64 chain_e chain_d chain_c; do
    assert_eq "$(device "$m")" "- 0 -" "device of $m's request"
done
# A request that found its module live is no device request: left out, and
# its record keeps no modalias.
SIM_ENV="ACTION=add SEQNUM=4712 DEVPATH=/devices/platform/serial8250 MODALIAS=platform:serial8250" \
    run_kmodx "$ROOT" modprobe -q -- t10_pi
assert_rc 0
stats_events "$ROOT" | awk '$1=="t10_pi" && $2=="already_live" {print $10, $11, $12}' >"$E2E_TMP/live"
assert_eq "$(cat "$E2E_TMP/live")" "/devices/platform/serial8250 4712 -" "the already-live request's device"
run_kmodx "$ROOT" modprobe --stats
assert_rc 0
printf '%s\n' "$OUT" | sed -n '/^Device requests/,/^$/p' >"$E2E_TMP/devices"
assert_eq "$(grep -c 't10_pi' "$E2E_TMP/devices")" 1 "device request rows for t10_pi"
grep -qE '^ +t10_pi	 +loaded	 +4711	/devices/pci0000:00/0000:00:1f.2$' "$E2E_TMP/devices" ||
    die "no device request row for t10_pi: $(cat "$E2E_TMP/devices")"
grep -qE '^ +Devices	 +2$' "$E2E_TMP/devices" || die "devices asked for: $(cat "$E2E_TMP/devices")"
run_kmodx "$ROOT" modprobe --stats=json
assert_rc 0
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["devices"] == 2, d["devices"]
# t10_pi and the module it depends on, both for the one device.
want = [{"device": "/devices/pci0000:00/0000:00:1f.2", "seqnum": 4711,
         "modalias": "pci:v00008086d00002922sv00001028sd0000020Dbc01sc06i01", "module": m, "outcome": "loaded", "count": 1}
        for m in ("crc64_rocksoft", "t10_pi")]
assert d["device_requests"] == want, d["device_requests"]
' "$OUT" || die "device_requests in --stats=json"
# The parent is recorded by name: the timeout(1) that ran simrun's exec.
assert_eq "$(awk '$1=="chain_c" {print $8}' "$E2E_TMP/events")" timeout "parent comm"
echo ok
