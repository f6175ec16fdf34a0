#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# An unusable runtime directory never costs a load: with /run/kmodx a
# symlink, world-writable, or its parent missing (early initramfs), modprobe
# loads without dedup. It says why once, except when the parent is missing
# (the normal early-boot state) and under -q; nothing is created through a
# symlink.
. "$(dirname "$0")/../lib.sh"

# A symlink to a perfectly good directory.
ROOT=$(new_root)
mkdir -p "$ROOT/run/real"
ln -s real "$ROOT/run/kmodx"
run_kmodx "$ROOT" modprobe -- nvme
assert_rc 0
assert_out_eq ""
assert_err_contains "/run/kmodx: symlink: loading without dedup (remove it; root's next modprobe makes it again)"
[ "$(printf '%s' "$ERR" | grep -c .)" = 1 ] || die "the note is not said once: $ERR"
grep -q "^nvme " "$ROOT/proc/modules" || die "nvme not loaded"
[ -z "$(ls -A "$ROOT/run/real")" ] || die "lock files created through the symlink: $(ls "$ROOT/run/real")"
run_kmodx "$ROOT" modprobe -q evdev
assert_rc 0
assert_err_eq ""
grep -q "^evdev " "$ROOT/proc/modules" || die "evdev not loaded"

# World-writable.
ROOT=$(new_root)
mkdir -p "$ROOT/run/kmodx"
chmod 0777 "$ROOT/run/kmodx"
run_kmodx "$ROOT" modprobe -- nvme
assert_rc 0
assert_err_eq "modprobe: WARNING: /run/kmodx: group or world writable: loading without dedup (remove it; root's next modprobe makes it again)
"
grep -q "^nvme " "$ROOT/proc/modules" || die "nvme not loaded"
[ -z "$(ls -A "$ROOT/run/kmodx")" ] || die "lock files created in a world-writable directory"

# Not a directory.
ROOT=$(new_root)
mkdir -p "$ROOT/run"
echo x >"$ROOT/run/kmodx"
run_kmodx "$ROOT" modprobe -q -- nvme
assert_rc 0
assert_err_eq ""
grep -q "^nvme " "$ROOT/proc/modules" || die "nvme not loaded"

# No /run at all: silent, and nothing created.
ROOT=$(new_root)
rm -rf "$ROOT/run"
run_kmodx "$ROOT" modprobe -- nvme
assert_rc 0
assert_out_eq ""
assert_err_eq ""
grep -q "^nvme " "$ROOT/proc/modules" || die "nvme not loaded"
[ ! -e "$ROOT/run" ] || die "created $ROOT/run"

# A usable one is created 0755 on first need.
ROOT=$(new_root)
mkdir -p "$ROOT/run"
run_kmodx "$ROOT" modprobe -- nvme
assert_rc 0
assert_err_eq ""
assert_eq "$(stat -c %a "$ROOT/run/kmodx")" 755 "mode of the created directory"
[ -f "$ROOT/run/kmodx/locks/nvme" ] || die "no lock file for nvme"
echo "ok"
