#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Requests for names nothing answers are recorded (outcome not_found, the
# name as asked, the requester): three kernel-style `modprobe -q -- net-pf-10`
# (kmodx's own alias lookup) and a mistyped `modprobe nvmee` (libkmod's
# lookup). A dry run records nothing. `--stats` shows them in "Not found:"
# and in the requesters' Not-found column, JSON and Prometheus too.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

ROOT=$(stats_root)
TAB=$(printf '\t')
kernel_call() {
    env -i HOME=/ TERM=linux PATH=/sbin:/usr/sbin:/bin:/usr/bin ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
        timeout -k 5 "$E2E_TIMEOUT" "$SIMRUN" "$ROOT" "$KMODX_BUILD/tools/modprobe" -q -- "$1" </dev/null >/dev/null 2>&1
}
for i in 1 2 3; do
    rc=0
    kernel_call net-pf-10 || rc=$?
    assert_eq "$rc" 1 "exit status of the kernel's request for net-pf-10"
done
run_kmodx "$ROOT" modprobe nvmee
assert_rc 1
assert_err_contains "modprobe: FATAL: Module nvmee not found in directory"
run_kmodx "$ROOT" modprobe -n nvmee_dry
assert_rc 1

stats_events "$ROOT" >"$E2E_TMP/events"
assert_eq "$(awk '$2=="not_found" {print $1, $3, $4}' "$E2E_TMP/events" | sort | uniq -c | sed 's/^ *//')" \
    "3 net-pf-10 kernel 2
1 nvmee other 2" "not_found events (name as asked, requester, ENOENT)"

run_kmodx "$ROOT" modprobe --stats
assert_rc 0
printf '%s\n' "$OUT" | grep -qxF "                net-pf-10${TAB}              3${TAB}       kernel:3" ||
    die "no net-pf-10 row in: $OUT"
printf '%s\n' "$OUT" | grep -qxF "                    nvmee${TAB}              1${TAB}        other:1" ||
    die "no nvmee row in: $OUT"
printf '%s\n' "$OUT" | grep -q "^ *kernel${TAB} *3${TAB}.*${TAB} *3$" || die "kernel's Not-found column: $OUT"
printf '%s\n' "$OUT" | grep -q nvmee_dry && die "a dry run was recorded: $OUT"

run_kmodx "$ROOT" modprobe --stats=json
assert_rc 0
printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["outcomes"]["not_found"] == 4, d["outcomes"]
assert d["not_found"][0]["name"] == "net-pf-10" and d["not_found"][0]["requesters"] == {"kernel": 3}, d["not_found"]
assert {r["requester"]: r["not_found"] for r in d["requesters"]} == {"kernel": 3, "other": 1}, d["requesters"]
assert d["debugfs"]["mods_failed_on_kread"] == 0
' || die "JSON: $OUT"
run_kmodx "$ROOT" modprobe --stats=prometheus
assert_rc 0
printf '%s\n' "$OUT" | grep -qxF 'kmodx_not_found_total{name="net-pf-10"} 3' || die "Prometheus: $OUT"
echo ok
