#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What differs from kmod by design on the command line: -V names kmodx, -h
# lists kmodx's own options, --no-dedup is accepted. getopt's complaints name
# argv[0], so they are compared with the program path taken out.
. "$(dirname "$0")/../lib.sh"

ROOT=$(new_root)
run_kmodx "$ROOT" modprobe -V
assert_rc 0
assert_out_contains "kmodx version "
assert_out_contains "(kmod $(stock_kmod_version) compatible)"
assert_out_contains "+XZ"

run_kmodx "$ROOT" modprobe -h
assert_rc 0
assert_out_contains "Usage:
	modprobe [options] [-i] [-b] modulename"
assert_out_contains "--no-dedup"
run_stock "$ROOT" modprobe -h
stock_help=$OUT
run_kmodx "$ROOT" modprobe --help
case "$OUT" in "$stock_help"*) ;; *) die "kmodx help does not start with kmod's text" ;; esac

run_kmodx "$ROOT" modprobe --no-dedup -v irqbypass
assert_rc 0
assert_out_eq "insmod /lib/modules/6.1.0-sim/kernel/virt/lib/irqbypass.ko 
"

for args in "--bogus" "-x irqbypass" "-w" "--config" "--remove-h" "--force-" "-S"; do
    # shellcheck disable=SC2086
    run_stock "$ROOT" modprobe $args
    s_rc=$RC s_err=$(printf '%s' "$ERR" | sed "s#^$E2E_TMP/stock/modprobe:#PROG:#")
    # shellcheck disable=SC2086
    run_kmodx "$ROOT" modprobe $args
    k_err=$(printf '%s' "$ERR" | sed "s#^$KMODX_BUILD/tools/modprobe:#PROG:#")
    assert_eq "$RC" "$s_rc" "exit status for '$args'"
    assert_eq "$k_err" "$s_err" "stderr for '$args'"
done
echo ok
