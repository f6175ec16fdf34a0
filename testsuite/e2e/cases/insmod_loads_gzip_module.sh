#!/bin/sh
# kmodx decompresses .ko.gz itself; Debian's kmod 30 is built without zlib
# and hands the raw gzip stream to the kernel (intended difference).
. "$(dirname "$0")/../lib.sh"
ROOT=$(new_root)
run_kmodx "$ROOT" insmod "$ROOT/extra-modules/gz_mod.ko.gz"
assert_rc 0
assert_err_eq ""
run_kmodx "$ROOT" lsmod
assert_out_contains "gz_mod "
assert_eq "$(load_calls "$ROOT" gz_mod)" 1 "load syscalls for gz_mod"

STOCK=$(new_root)
run_stock "$STOCK" insmod "$STOCK/extra-modules/gz_mod.ko.gz"
assert_rc 1
assert_err_contains "Invalid module format"
