#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# libkmod 30's initstate overflows a stack buffer for names near PATH_MAX, so
# Debian's rmmod aborts; kmodx answers with one line and exit 1.
. "$(dirname "$0")/../lib.sh"
ROOT=$(new_root)
name=$(printf '%05000d' 0)
run_kmodx "$ROOT" rmmod "$name"
assert_rc 1
assert_err_contains "rmmod: ERROR: Module 0000"
assert_err_contains " is not currently loaded"
assert_eq "$(printf '%s' "$ERR" | wc -l)" 1 "stderr lines"
run_kmodx "$ROOT" modinfo -m "$name"
assert_rc 1
assert_eq "$(printf '%s' "$ERR" | wc -l)" 1 "modinfo stderr lines"
