#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# Compressed modules: kmod 30 decompresses .ko.xz itself (init_module); finit_module with
# MODULE_INIT_COMPRESSED_FILE is decompressed by the simulated kernel per sys/module/compression.
command -v xz >/dev/null || { echo "SKIP: xz missing"; exit 77; }
mkmod foo -p x:int
mkmod bar
xz -k "$MODDIR/foo.ko"; rm "$MODDIR/foo.ko"
cp "$MODDIR/bar.ko" "$T/bar.ko"; xz "$MODDIR/bar.ko"
run_depmod
sim modprobe foo x=3 || fail "modprobe of foo.ko.xz"
expect_eq "$(cut -f3,4,5 "$ROOT/.simkernel/calls.log")" "$(printf 'init_module\tfoo\t0')" "kmod 30 uses init_module"
expect_eq "$(cat "$ROOT/sys/module/foo/parameters/x")" "3" "parameter"
build_kcall
xzfile=$MODDIR/bar.ko.xz
expect_eq "$(sim "$KCALL" finit "$xzfile" "" 4 || true)" "EOPNOTSUPP" "no compression support"
echo gzip > "$ROOT/sys/module/compression"
expect_eq "$(sim "$KCALL" finit "$xzfile" "" 4 || true)" "EINVAL" "format mismatch"
expect_eq "$(sim "$KCALL" finit "$xzfile" "" 8 || true)" "EINVAL" "unknown flag"
echo xz > "$ROOT/sys/module/compression"
expect_eq "$(sim "$KCALL" finit "$xzfile" "" 0 || true)" "ENOEXEC" "compressed without the flag"
expect_eq "$(sim "$KCALL" finit "$xzfile" "" 4 || true)" "OK" "in-kernel xz"
expect_eq "$(initstate bar)" "live" "bar live"
expect_eq "$(tail -n1 "$ROOT/.simkernel/calls.log" | cut -f7,8)" "$(printf '%s\t%s' "$(stat -c %s "$xzfile")" "$(stat -c %s "$T/bar.ko")")" "file and decompressed bytes"
xzsize=$(stat -c %s "$xzfile")
expect_eq "$(report --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["failed_decompress"], t["failed_decompress_bytes"], t["failed_becoming_bytes"])')" "1 $xzsize $xzsize" "report: ENOEXEC counts the raw buffer"
if command -v zstd >/dev/null; then
    zstd -q "$T/bar.ko" -o "$T/bar.ko.zst"
    sim rmmod bar
    echo zstd > "$ROOT/sys/module/compression"
    expect_eq "$(sim "$KCALL" finit "$T/bar.ko.zst" "" 4 || true)" "OK" "in-kernel zstd"
fi
gzip -c "$T/bar.ko" > "$T/bar.ko.gz"
sim rmmod bar
echo gzip > "$ROOT/sys/module/compression"
expect_eq "$(sim "$KCALL" finit "$T/bar.ko.gz" "" 4 || true)" "OK" "in-kernel gzip"
