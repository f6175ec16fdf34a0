#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `stats = no` in kmodx.conf turns recording off (the load itself is
# untouched); KMODX_STATS=yes in the environment overrides the file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

ROOT=$(stats_root)
mkdir -p "$ROOT/etc"
echo "stats = no" >"$ROOT/etc/kmodx.conf"
run_kmodx "$ROOT" modprobe -q -- crc64
assert_rc 0
assert_err_eq ""
grep -q '^crc64 ' "$ROOT/proc/modules" || die "crc64 not loaded"
assert_eq "$(stats_count "$ROOT" '$1 == "crc64"')" 0 "events recorded with stats = no"

SIM_ENV=KMODX_STATS=yes run_kmodx "$ROOT" modprobe -q -- crc64
assert_rc 0
assert_eq "$(stats_count "$ROOT" '$1 == "crc64" && $2 == "already_live"')" 1 "already-live events with KMODX_STATS=yes"
echo ok
