#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# kmodx.conf and its drop-ins drive dedup: `dedup = no` loads without locks,
# KMODX_DEDUP=yes overrides the file, a drop-in moves the runtime directory
# and turns the failure window off, the later drop-in wins. A bad line costs
# one warning (none under -q) and never the load.
. "$(dirname "$0")/../lib.sh"

# dedup = no
ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/etc"
printf '# no locks\ndedup = no\n' >"$ROOT/etc/kmodx.conf"
run_kmodx "$ROOT" modprobe evdev
assert_rc 0
assert_err_eq ""
grep -q "^evdev " "$ROOT/proc/modules" || die "evdev not loaded"
[ ! -e "$ROOT/run/kmodx" ] || die "dedup = no still used the runtime directory"

# The environment over the file.
SIM_ENV=KMODX_DEDUP=yes
run_kmodx "$ROOT" modprobe serio_raw
SIM_ENV=
assert_rc 0
[ -f "$ROOT/run/kmodx/locks/serio_raw" ] || die "KMODX_DEDUP=yes did not override dedup = no"

# Drop-ins in name order: the runtime directory moves, the failure window is off.
ROOT=$(new_root)
mkdir -p "$ROOT/run/kmodx" "$ROOT/etc/kmodx.d" "$ROOT/.simkernel"
echo "fail.evdev=ENODEV" >"$ROOT/.simkernel/config"
echo "runtime_dir = /run/kmodx/first" >"$ROOT/etc/kmodx.d/10-first.conf"
printf 'runtime_dir = /run/kmodx/alt\nfail_window_s = 0\n' >"$ROOT/etc/kmodx.d/20-second.conf"
echo "runtime_dir = /run/kmodx/ignored" >"$ROOT/etc/kmodx.d/30-off.conf.disabled"
run_kmodx "$ROOT" modprobe -q evdev
assert_rc 1
run_kmodx "$ROOT" modprobe -q evdev
assert_rc 1
[ -f "$ROOT/run/kmodx/alt/locks/evdev" ] || die "no lock file in the drop-in's runtime directory: $(find "$ROOT/run")"
[ ! -e "$ROOT/run/kmodx/first" ] && [ ! -e "$ROOT/run/kmodx/ignored" ] || die "the wrong drop-in won: $(find "$ROOT/run")"
assert_eq "$(load_calls "$ROOT" evdev)" 2 "load syscalls with fail_window_s = 0"

# Bad lines: a warning each, the defaults, the load done.
ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/etc"
printf 'dedup = yes\ncolour = blue\nlock_wait_ms = soon\n' >"$ROOT/etc/kmodx.conf"
run_kmodx "$ROOT" modprobe evdev
assert_rc 0
assert_err_eq "modprobe: WARNING: /etc/kmodx.conf:2: unknown key 'colour', ignored
modprobe: WARNING: /etc/kmodx.conf:3: bad value 'soon' for lock_wait_ms (expected milliseconds, 0 to 86400000), ignored
"
[ -f "$ROOT/run/kmodx/locks/evdev" ] || die "dedup not on with a partly bad file"
# -q: silent.
run_kmodx "$ROOT" modprobe -q serio_raw
assert_rc 0
assert_err_eq ""
grep -q "^serio_raw " "$ROOT/proc/modules" || die "serio_raw not loaded"
# -q silences them on the paths that answer without libkmod too: the
# kernel's call for a live module, a cold one and an alias, udev's modalias.
for call in "-q -- evdev" "-q -- nvme" "-q -- fs-xfs" \
    "-bq pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00"; do
    # shellcheck disable=SC2086 # the call's words
    run_kmodx "$ROOT" modprobe $call
    assert_err_eq ""
done
grep -q "^nvme " "$ROOT/proc/modules" || die "nvme not loaded by the kernel's call"

# KMODX_CONFIG replaces /etc/kmodx.conf.
ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/etc"
echo "dedup = no" >"$E2E_TMP/alt.conf"
echo "colour = red" >"$ROOT/etc/kmodx.conf"
SIM_ENV="KMODX_CONFIG=$E2E_TMP/alt.conf"
run_kmodx "$ROOT" modprobe evdev
SIM_ENV=
assert_rc 0
assert_err_eq ""
[ ! -e "$ROOT/run/kmodx" ] || die "KMODX_CONFIG was not read instead of /etc/kmodx.conf"
echo "ok"
