#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# 32 parallel insmod of one module: exactly one success, 31 EEXIST, 32 load syscalls logged.
mkmod foo -s 20000
run_depmod
config "load_ns_base=200ms"
i=0
while [ $i -lt 32 ]; do
    ( rc=0; sim insmod "$MODDIR/foo.ko" > "$T/out.$i" 2>&1 || rc=$?; echo "$rc" > "$T/rc.$i" ) &
    i=$((i + 1))
done
wait
ok=$(cat "$T"/rc.* | grep -c '^0$' || true)
expect_eq "$ok" "1" "successful insmods"
exists=$(cat "$T"/out.* | grep -c ': File exists$' || true)
expect_eq "$exists" "31" "EEXIST messages"
expect_eq "$(grep -c 'init_module' "$ROOT/.simkernel/calls.log")" "32" "load lines"
expect_eq "$(report --calls foo)" "32" "report --calls"
expect_eq "$(awk -F'\t' 'NF != 13' "$ROOT/.simkernel/calls.log")" "" "no interleaved log lines"
size=$(stat -c %s "$MODDIR/foo.ko")
expect_eq "$(report --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["load_calls"], t["finit_calls"], t["successes"], t["eexist"], t["ebusy"], t["failed_becoming"], t["failed_becoming_bytes"], t["bytes_read"], t["modules_loaded"])')" \
    "32 32 1 31 0 31 $((31 * size)) $((32 * size)) 1" "report totals"
peak=$(report --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["peak_bytes"])')
[ "$peak" -ge $((2 * size)) ] || fail "peak concurrent bytes $peak should count concurrent file buffers"
expect_eq "$(initstate foo)" "live" "module live"
