#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# insmod PATH and rmmod NAME, including rmmod of a module that is not loaded.
mkmod foo -p x:int
run_depmod
cp "$MODDIR/foo.ko" "$T/elsewhere.ko"
sim insmod "$T/elsewhere.ko" x=-7 || fail "insmod"
expect_eq "$(initstate foo)" "live" "initstate after insmod"
expect_eq "$(cat "$ROOT/sys/module/foo/parameters/x")" "-7" "parameter"
sim rmmod foo || fail "rmmod"
expect_eq "$(initstate foo)" "absent" "after rmmod"
rc=0; out=$(sim rmmod foo 2>&1) || rc=$?
expect_eq "$rc" "1" "rmmod of absent module"
expect_eq "$out" "rmmod: ERROR: Module foo is not currently loaded" "rmmod message"
build_kcall
expect_eq "$(sim "$KCALL" delete foo 2048 || true)" "ENOENT" "delete_module of absent module"
