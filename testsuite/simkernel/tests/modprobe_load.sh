#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# Debian's modprobe loads a module: live in sysfs, a kernel-format /proc/modules row, params.
mkmod foo -p x:int -p flag:bool -p name:charp
run_depmod
out=$(sim modprobe foo x=0x10 flag) || fail "modprobe foo failed: $out"
expect_eq "$out" "" "modprobe output"
expect_eq "$(initstate foo)" "live" "initstate"
size=$(stat -c %s "$MODDIR/foo.ko")
expect_eq "$(cat "$ROOT/proc/modules")" "foo $size 0 - Live 0x0000000000000000" "/proc/modules row"
expect_eq "$(cat "$ROOT/sys/module/foo/refcnt")" "0" "refcnt"
expect_eq "$(cat "$ROOT/sys/module/foo/coresize")" "$size" "coresize"
expect_eq "$(cat "$ROOT/sys/module/foo/parameters/x")" "16" "int parameter"
expect_eq "$(cat "$ROOT/sys/module/foo/parameters/flag")" "Y" "bare bool parameter"
expect_eq "$(cat "$ROOT/sys/module/foo/parameters/name")" "(null)" "charp default"
expect_eq "$(wc -l < "$ROOT/.simkernel/calls.log")" "1" "one load call logged"
expect_eq "$(cut -f3,4,5,6,13 "$ROOT/.simkernel/calls.log")" "$(printf 'finit_module\tfoo\t0\t-\tlive')" "log line"
expect_eq "$(cut -f7 "$ROOT/.simkernel/calls.log")" "$size" "file_bytes"
