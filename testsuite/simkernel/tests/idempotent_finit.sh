#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# Model 6.5: concurrent finit_module() on one inode read the file once and share the result.
# Model 6.1 (default) reads it once per call.
mkmod foo -s 50000
run_depmod
size=$(stat -c %s "$MODDIR/foo.ko")
build_kcall
storm() {
    rm -f "$T"/rc.*
    i=0
    while [ $i -lt 16 ]; do
        ( sim "$KCALL" finit "$MODDIR/foo.ko" "" 0 > "$T/rc.$i" 2>&1 || true ) &
        i=$((i + 1))
    done
    wait
}
config "model=6.5"
config "load_ns_base=2500ms"
storm
expect_eq "$(cat "$T"/rc.* | sort | uniq -c | sed 's/^ *//')" "16 OK" "all 16 share the first's result"
expect_eq "$(report --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["finit_calls"], t["bytes_read"], t["idempotent_waits"], t["successes"])')" "16 $size 15 16" "one read"
# after the first finished: a new call reads again and gets EEXIST
expect_eq "$(sim "$KCALL" finit "$MODDIR/foo.ko" "" 0 || true)" "EEXIST" "late call"
# init_module() (a buffer) is never merged
expect_eq "$(sim "$KCALL" init "$MODDIR/foo.ko" "" || true)" "EEXIST" "init_module"

sim rmmod foo
rm -f "$ROOT/.simkernel/calls.log"
: > "$ROOT/.simkernel/config"
config "load_ns_base=2500ms"
storm
expect_eq "$(cat "$T"/rc.* | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')" "15 EEXIST;1 OK;" "6.1: one success, 15 EEXIST"
expect_eq "$(report --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["bytes_read"], t["idempotent_waits"])')" "$((16 * size)) 0" "6.1 reads 16 times"
