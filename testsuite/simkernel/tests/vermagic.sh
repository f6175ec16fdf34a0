#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# vermagic must match the (fake) uname -r unless MODULE_INIT_IGNORE_VERMAGIC; bad ELF is ENOEXEC.
mkmod bad -V "5.10.0-other SMP mod_unload "
mkmod good
run_depmod
rc=0; out=$(sim modprobe bad 2>&1) || rc=$?
expect_eq "$out" "modprobe: ERROR: could not insert 'bad': Exec format error" "modprobe message"
rc=0; out=$(sim insmod "$MODDIR/bad.ko" 2>&1) || rc=$?
expect_eq "$out" "insmod: ERROR: could not insert module $MODDIR/bad.ko: Invalid module format" "insmod message"
sim modprobe --force-vermagic bad || fail "modprobe --force-vermagic"
expect_eq "$(tail -n1 "$ROOT/.simkernel/calls.log" | cut -f11)" "2" "IGNORE_VERMAGIC flag"
# the release comes from ROOT/proc/sys/kernel/osrelease
echo 5.10.0-other > "$ROOT/proc/sys/kernel/osrelease"
build_kcall
expect_eq "$(sim "$KCALL" finit "$MODDIR/good.ko" "" 0 || true)" "ENOEXEC" "good.ko against another release"
head -c 100 "$MODDIR/good.ko" > "$T/trunc.ko"
expect_eq "$(sim "$KCALL" finit "$T/trunc.ko" "" 2 || true)" "ENOEXEC" "truncated ELF"
echo "not an elf" > "$T/text.ko"
expect_eq "$(sim "$KCALL" init "$T/text.ko" "" || true)" "ENOEXEC" "not an ELF"
