#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# docs/security.md, attack 4: the failure window reuses a failure only for the same
# module file (device, inode, size, mtime), options and force flags, and
# never a caller's own EPERM or EACCES. Each step ran into a cached failure
# when the cache was keyed by the module's name and options alone.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

ROOT=$(stats_root)
# A caller without CAP_SYS_MODULE (a sandboxed service's root) gets EPERM;
# the kernel's request right after must load.
printf 'early_fail.evdev=EPERM\n' >"$ROOT/.simkernel/config"
run_kmodx "$ROOT" modprobe evdev
assert_rc 1
: >"$ROOT/.simkernel/config"
run_kmodx "$ROOT" modprobe -q -- evdev
assert_rc 0
grep -q "^evdev " "$ROOT/proc/modules" || die "the request after an EPERM was answered from the cache"
assert_eq "$(load_calls "$ROOT" evdev)" 2 "load syscalls for evdev"

# A module built for another kernel: refused, then loaded with -f, as stock
# kmod does.
STOCK=$(stats_root)
run_stock "$STOCK" modprobe bad_vermagic
stock_rc=$RC
run_stock "$STOCK" modprobe -f bad_vermagic
stock_force_rc=$RC
run_kmodx "$ROOT" modprobe bad_vermagic
assert_rc "$stock_rc"
run_kmodx "$ROOT" modprobe -f bad_vermagic
assert_rc "$stock_force_rc"
assert_eq "$stock_force_rc" 0 "stock kmod's exit status for -f"
grep -q "^bad_vermagic " "$ROOT/proc/modules" || die "bad_vermagic not loaded with -f"

# A broken module file, then the good one put in its place (a package
# upgrade): the new file is tried at once.
path=$(grep '/serio_raw\.ko' "$ROOT/lib/modules/"*/modules.dep | cut -d: -f1)
file=$(ls "$ROOT/lib/modules/"*/"$path")
cp "$file" "$E2E_TMP/good.ko"
head -c 100 "$E2E_TMP/good.ko" >"$E2E_TMP/broken.ko"
mv "$E2E_TMP/broken.ko" "$file"
run_kmodx "$ROOT" modprobe serio_raw
assert_rc 1
cp "$E2E_TMP/good.ko" "$file.new" && mv "$file.new" "$file"
run_kmodx "$ROOT" modprobe serio_raw
assert_rc 0
grep -q "^serio_raw " "$ROOT/proc/modules" || die "the replaced module file got the old file's cached failure"
# ... while the same file failing again within the window is still answered
# from its record.
printf 'fail.irqbypass=ENODEV\n' >"$ROOT/.simkernel/config"
run_kmodx "$ROOT" modprobe irqbypass
assert_rc 1
run_kmodx "$ROOT" modprobe irqbypass
assert_rc 1
assert_eq "$(load_calls "$ROOT" irqbypass)" 1 "load syscalls for the failing irqbypass"
echo ok
