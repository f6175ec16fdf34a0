#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# kmodx decompresses .ko.gz itself; Debian 12's kmod 30 is built without zlib
# and hands the raw gzip stream to the kernel (intended difference). Debian
# 13's kmod 34.2, also without zlib, refuses a .ko.gz the kernel does not
# decompress with ENOSYS, and kmodx built against it does the same
# (docs/debian13.md, cause 2).
. "$(dirname "$0")/../lib.sh"
if [ "$(stock_kmod_version)" != 30 ]; then
    for who in kmodx stock; do
        ROOT=$(new_root)
        "run_$who" "$ROOT" insmod "$ROOT/extra-modules/gz_mod.ko.gz"
        assert_rc 1
        assert_err_eq "insmod: ERROR: could not insert module $ROOT/extra-modules/gz_mod.ko.gz: Function not implemented
"
        assert_eq "$(load_calls "$ROOT" gz_mod)" 0 "load syscalls for gz_mod"
    done
    exit 0
fi
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
