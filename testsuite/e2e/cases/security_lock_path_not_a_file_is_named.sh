#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What stands where a lock file should be is named in the warning, with its
# path and what to do (it was "lock directory unusable (unusable)" for all),
# and the load goes on without dedup, as stock modprobe's would: a FIFO, a
# directory, a file others may read (they could hold its lock), and a
# locks/ directory others may enter.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

ROOT=$(stats_root)
mkdir -p "$ROOT/run/kmodx"
mkdir -m 700 "$ROOT/run/kmodx/locks"
mkfifo "$ROOT/run/kmodx/locks/evdev"
mkdir "$ROOT/run/kmodx/locks/serio_raw"
: >"$ROOT/run/kmodx/locks/irqbypass"
chmod 644 "$ROOT/run/kmodx/locks/irqbypass"
run_kmodx "$ROOT" modprobe evdev
assert_rc 0
assert_err_eq "modprobe: WARNING: /run/kmodx/locks/evdev: not a regular file: loading evdev without dedup (remove it; root's next modprobe makes it again)
"
run_kmodx "$ROOT" modprobe serio_raw
assert_rc 0
assert_err_eq "modprobe: WARNING: /run/kmodx/locks/serio_raw: not a regular file: loading serio_raw without dedup (remove it; root's next modprobe makes it again)
"
run_kmodx "$ROOT" modprobe irqbypass
assert_rc 0
assert_err_eq "modprobe: WARNING: /run/kmodx/locks/irqbypass: untrusted lock file: loading irqbypass without dedup (remove it; root's next modprobe makes it again)
"
for m in evdev serio_raw irqbypass; do
    grep -q "^$m " "$ROOT/proc/modules" || die "$m not loaded"
done
# Not under -q: the kernel's call stays quiet.
run_kmodx "$ROOT" modprobe -r evdev
run_kmodx "$ROOT" modprobe -q -- evdev
assert_rc 0
assert_err_eq ""
run_kmodx "$ROOT" modprobe --stats
assert_rc 0
assert_out_contains "not a regular file"

ROOT=$(stats_root)
mkdir -p "$ROOT/run/kmodx/locks"
chmod 755 "$ROOT/run/kmodx/locks"
run_kmodx "$ROOT" modprobe evdev
assert_rc 0
assert_err_eq "modprobe: WARNING: /run/kmodx/locks: open to other users: loading without dedup (remove it; root's next modprobe makes it again)
"
grep -q "^evdev " "$ROOT/proc/modules" || die "evdev not loaded"
[ -z "$(ls -A "$ROOT/run/kmodx/locks")" ] || die "lock files made in a directory others may enter"
echo ok
