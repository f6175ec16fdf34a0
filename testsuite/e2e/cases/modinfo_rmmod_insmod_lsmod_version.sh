#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# -V names kmodx and its kmod compatibility level; exit 0, nothing on stderr.
. "$(dirname "$0")/../lib.sh"
ROOT=$(new_root)
for tool in insmod rmmod lsmod modinfo; do
    run_kmodx "$ROOT" "$tool" -V
    assert_rc 0
    assert_err_eq ""
    assert_out_contains "kmodx version "
    assert_out_contains "(kmod $(stock_kmod_version) compatible)"
done
run_kmodx "$ROOT" modinfo --version
assert_out_contains "+ZSTD +XZ +ZLIB"
