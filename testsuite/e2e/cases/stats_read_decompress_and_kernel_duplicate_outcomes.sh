#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The outcomes the other stats cases do not reach: a module file that cannot
# be read (failed_read, ENOENT, no load syscall), a compressed file whose
# stream is corrupt (failed_decompress, no load syscall), and the kernel
# answering EEXIST or EBUSY because a loader outside kmodx got there first
# (duplicate_in_kernel: the load succeeded for the caller, the kernel still
# read and allocated, so the event carries the bytes it wasted). Then the
# report counts each where the kernel's own format and kmodx's sections put it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

ROOT=$(stats_root)
KDIR=$ROOT/lib/modules/6.1.0-sim

# failed_read: modules.dep names a file that is gone.
rm "$KDIR/kernel/drivers/input/evdev.ko"
run_kmodx "$ROOT" modprobe evdev
assert_rc 1
assert_err_contains "evdev"
assert_eq "$(load_calls "$ROOT" evdev)" 0 "load syscalls for a missing file"

# failed_decompress: a corrupt xz stream, loaded by path (the fixture's bad
# modules sit outside the redirected directories: named by their real path).
run_kmodx "$ROOT" modprobe "$ROOT/bad-modules/corrupt.ko.xz"
assert_rc 1
assert_err_contains "could not insert 'corrupt'"
[ ! -s "$ROOT/.simkernel/calls.log" ] || die "load syscalls before any could be made: $(cat "$ROOT/.simkernel/calls.log")"

# duplicate_in_kernel: the kernel says the module exists (a racing outside
# loader); modprobe, like kmod's, treats EEXIST as success.
printf 'fail.crc64=EEXIST\nfail.serio_raw=EBUSY\n' >"$ROOT/.simkernel/config"
run_kmodx "$ROOT" modprobe crc64
assert_rc 0
run_kmodx "$ROOT" modprobe serio_raw
assert_rc 1

stats_events "$ROOT" >"$E2E_TMP/events"
assert_eq "$(awk '$1=="evdev" {print $2, $4}' "$E2E_TMP/events")" "failed_read 2" "missing file's event"
assert_eq "$(awk '$2=="failed_decompress" {print $1, $4}' "$E2E_TMP/events")" "corrupt 74" \
    "corrupt stream's event (EBADMSG)"
assert_eq "$(awk '$1=="crc64" {print $2, $4}' "$E2E_TMP/events")" "duplicate_in_kernel 17" "EEXIST's event"
assert_eq "$(awk '$1=="serio_raw" {print $2, $4}' "$E2E_TMP/events")" "duplicate_in_kernel 16" "EBUSY's event"
# The kernel read and allocated for both duplicates: the bytes are on the events.
assert_eq "$(awk '$2=="duplicate_in_kernel" && $6 > 0' "$E2E_TMP/events" | wc -l)" 2 \
    "duplicates carrying the kernel's allocation"

run_kmodx "$ROOT" modprobe --stats=json
assert_rc 0
printf '%s' "$OUT" >"$E2E_TMP/report.json"
python3 - "$E2E_TMP/report.json" <<'PY' || die "json report: $(head -c 3000 "$E2E_TMP/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
o = r["outcomes"]
got = (o["failed_read"], o["failed_decompress"], o["duplicate_in_kernel"], o["loaded"])
assert got == (1, 1, 2, 0), got
fail = {(f["module"], f["outcome"], f["errno_name"]) for f in r["failures"]}
want = {("evdev", "failed_read", "ENOENT"), ("corrupt", "failed_decompress", "EBADMSG"),
        ("crc64", "duplicate_in_kernel", "EEXIST"), ("serio_raw", "duplicate_in_kernel", "EBUSY")}
assert want <= fail, fail
assert sum(q["kernel_duplicates"] for q in r["requesters"]) == 2, r["requesters"]
assert r["debugfs"]["mods_failed_on_decompress"] == 1, r["debugfs"]
xz = [d for d in r["decompression"] if d["format"] == "xz"]
assert xz and xz[0]["path"] == "userspace" and xz[0]["bytes_out"] == 0, r["decompression"]
PY
echo ok
