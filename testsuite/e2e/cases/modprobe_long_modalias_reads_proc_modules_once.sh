#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A modalias that lists four or more modules (a CPU's names about twenty)
# asks /proc/modules once for those it shows live, instead of reading one
# /sys/module/NAME/initstate each (lib/modprobe/kernel_call.cpp); a shorter
# list asks each module's sysfs. Shown with a kernel whose sysfs went wrong
# while /proc/modules still lists the modules live: the long list finds them
# live and loads nothing, the one-module modalias finds its module gone from
# /sys/module and asks the kernel, which says it is there.
. "$(dirname "$0")/../lib.sh"

cpu='cpu:type:x86,ven0000fam0006mod003F:feature:,0081,0085,0089,0099'
input='input:b0019v0000p0001e0000-e0,1,k74,ramlsfw'  # evdev's alone
ROOT=$(new_root)
mkdir -p "$ROOT/run"
run_kmodx "$ROOT" modprobe -bq "$cpu"
assert_rc 0
run_kmodx "$ROOT" modprobe -bq "$input"
assert_rc 0
listed=$(awk '{print $1}' "$ROOT/proc/modules" | grep -vx evdev)
[ "$(echo "$listed" | wc -l)" -ge 4 ] || die "the CPU modalias loaded too few modules: $listed"
calls() { awk -F'\t' '$3 ~ /init/' "$ROOT/.simkernel/calls.log" | wc -l; }
before=$(calls)

for m in $listed; do rm -f "$ROOT/sys/module/$m/initstate"; done
rm -rf "$ROOT/sys/module/evdev"
run_kmodx "$ROOT" modprobe -bq "$cpu"
assert_rc 0
assert_eq "$(calls)" "$before" "load calls after the CPU modalias, its modules live in /proc/modules"
run_kmodx "$ROOT" modprobe -bq "$input"
assert_eq "$(load_calls "$ROOT" evdev)" 2 "evdev's load calls: the one-module modalias asked its initstate"
echo ok
