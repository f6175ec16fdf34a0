#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `kmodx config`: the settings in effect as kmodx.conf lines, each with where
# its value came from (default, FILE:LINE, environment); a bad value warns on
# stderr and changes nothing; the output read back as kmodx.conf gives the
# same settings; extra arguments are refused with one line.
. "$(dirname "$0")/../lib.sh"

ROOT=$(new_root)
mkdir -p "$ROOT/etc/kmodx.d"
printf '# site\nlock_wait_ms = 5000\nstats = maybe\n' >"$ROOT/etc/kmodx.conf"
printf 'dedup = no\n' >"$ROOT/etc/kmodx.d/10-nodedup.conf"
SIM_ENV=KMODX_FAIL_WINDOW_S=0
run_kmodx "$ROOT" kmodx config
SIM_ENV=
assert_rc 0
assert_out_eq "# kmodx settings in effect (kmodx.conf(5)): defaults, /etc/kmodx.conf, /etc/kmodx.d/*.conf, then KMODX_* variables
runtime_dir = /run/kmodx  # default
dedup = no  # /etc/kmodx.d/10-nodedup.conf:1
lock_wait_ms = 5000  # /etc/kmodx.conf:2
fail_window_s = 0  # environment KMODX_FAIL_WINDOW_S
state_dir = /var/lib/kmodx  # default
stats = yes  # default
stats_keep_boots = 10  # default
stats_max_bytes = 4194304  # default
"
assert_err_eq "kmodx: WARNING: /etc/kmodx.conf:3: bad value 'maybe' for stats (expected yes or no), ignored
"

# The output is a kmodx.conf: read back alone, it gives the same values.
printf '%s' "$OUT" >"$ROOT/etc/kmodx.conf"
rm -r "$ROOT/etc/kmodx.d"
run_kmodx "$ROOT" kmodx config
assert_rc 0
assert_err_eq ""
assert_out_contains "fail_window_s = 0  # /etc/kmodx.conf:5"
assert_out_contains "dedup = no  # /etc/kmodx.conf:3"

run_kmodx "$ROOT" kmodx config extra
assert_rc 1
assert_err_eq "kmodx: config takes no arguments
"
run_kmodx "$ROOT" kmodx --help
assert_rc 0
assert_out_contains "	config                 the settings in effect (kmodx.conf(5)), each with where it came from"
echo ok
