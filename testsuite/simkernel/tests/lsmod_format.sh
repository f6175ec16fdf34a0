#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# lsmod output is the kernel's: header, %-19s %8ld  %d, holders comma-joined.
mkmod foo -x foo_fn -s 5000
mkmod bar -d foo -u foo_fn
mkmod baz -d foo -u foo_fn -s 70000
run_depmod
sim modprobe bar || fail "modprobe bar"
sim modprobe baz || fail "modprobe baz"
sfoo=$(stat -c %s "$MODDIR/foo.ko"); sbar=$(stat -c %s "$MODDIR/bar.ko"); sbaz=$(stat -c %s "$MODDIR/baz.ko")
expect_eq "$(cat "$ROOT/proc/modules")" "$(printf '%s\n' \
    "baz $sbaz 0 - Live 0x0000000000000000" \
    "bar $sbar 0 - Live 0x0000000000000000" \
    "foo $sfoo 2 baz,bar, Live 0x0000000000000000")" "/proc/modules (newest first, newest holder first)"
out=$(sim lsmod) || fail "lsmod failed"
line1=$(echo "$out" | sed -n 1p)
expect_eq "$line1" "Module                  Size  Used by" "lsmod header"
expect_eq "$(echo "$out" | grep '^baz ')" "$(printf '%-19s %8d  %d' baz "$sbaz" 0)" "lsmod baz row"
expect_eq "$(echo "$out" | grep '^bar ')" "$(printf '%-19s %8d  %d' bar "$sbar" 0)" "lsmod bar row"
foo_row=$(echo "$out" | grep '^foo ')
case $foo_row in
    "$(printf '%-19s %8d  %d' foo "$sfoo" 2) baz,bar"|"$(printf '%-19s %8d  %d' foo "$sfoo" 2) bar,baz") ;;
    *) fail "lsmod foo row: [$foo_row]" ;;
esac
