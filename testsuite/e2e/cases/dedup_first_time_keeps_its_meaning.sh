#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# --first-time under a storm: the one process whose load did it exits 0;
# every process that was answered by another's load fails as kmod fails for
# a module already there (same message, exit 1). One syscall in all.
. "$(dirname "$0")/../lib.sh"

REF=$(new_root)
run_stock "$REF" modprobe evdev
run_stock "$REF" modprobe --first-time evdev
assert_rc 1
expected=$ERR
[ -n "$expected" ] || die "stock kmod printed nothing"

ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/.simkernel"
echo "load_ns_base=30ms" >"$ROOT/.simkernel/config"
storm 8 "$ROOT" "$KMODX_BUILD/tools/modprobe" --first-time evdev
ok=0
i=0
while [ "$i" -lt 8 ]; do
    i=$((i + 1))
    case $(cat "$E2E_TMP/s.$i.rc") in
        0) ok=$((ok + 1)); assert_eq "$(cat "$E2E_TMP/s.$i.err")" "" "stderr of the loader" ;;
        1) ERR=$(cat "$E2E_TMP/s.$i.err"; echo x); ERR=${ERR%x}; assert_eq "$ERR" "$expected" "stderr of process $i" ;;
        *) die "process $i exited $(cat "$E2E_TMP/s.$i.rc")" ;;
    esac
done
assert_eq "$ok" 1 "processes that succeeded"
assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls"
echo "ok"
