#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# MODPROBE_OPTIONS is split the way kmod splits it and put before argv;
# -q/-v/-s/-C are handed on to install commands through it. Compared with
# Debian's kmod (run_in passes MODPROBE_OPTIONS through).
. "$(dirname "$0")/../lib.sh"

compare() {
    local s k
    S=$(new_root) K=$(new_root)
    echo 'install evdev echo "[$MODPROBE_OPTIONS] [$CMDLINE_OPTS]"' >"$S/etc/modprobe.d/i.conf"
    cp "$S/etc/modprobe.d/i.conf" "$K/etc/modprobe.d/i.conf"
    run_stock "$S" modprobe "$@"; s="$RC|$OUT|$ERR"
    run_kmodx "$K" modprobe "$@"; k="$RC|$OUT|$ERR"
    assert_eq "$k" "$s" "MODPROBE_OPTIONS='${MODPROBE_OPTIONS-}' modprobe $*"
    assert_eq "$(kernel_state "$K")" "$(kernel_state "$S")" "kernel state for $*"
}

export MODPROBE_OPTIONS="-n -v"
compare chain_a
export MODPROBE_OPTIONS="-v"
compare evdev "a=b c" x=1
export MODPROBE_OPTIONS="-q"
compare -v evdev
export MODPROBE_OPTIONS="-v  'a b'"
compare irqbypass
export MODPROBE_OPTIONS="-v \"-q"
compare irqbypass
export MODPROBE_OPTIONS="-a"
compare nosuch evdev
export MODPROBE_OPTIONS="evdev"
compare -v x=1
echo ok
