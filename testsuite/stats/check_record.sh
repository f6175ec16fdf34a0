#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# check_record.sh STATS_GEN: the test suite's one definition of the store's
# record (record.py, which the Python and shell readers use) against the
# store's own encoding: two events with a distinct value in every field, one
# of them udev's with its device, written by stats-gen through
# Store::append and read back by record.py field by field, by name.
set -eu
GEN=$1
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/kmodx-record.XXXXXX")
trap 'rm -rf "$T"' EXIT
export KMODX_RUNTIME_DIR="$T/run" KMODX_STATE_DIR="$T/state"
"$GEN" <<'SPEC'
module=nvme outcome=loaded requester=kernel comm=kworker/u4:1 tool=modprobe err=0 count=1 time=1700000000000000001 pid=4242 ppid=2 holder=0 degraded=0 format=xz path=kernel file=11 image=12 module_bytes=13 text_bytes=14 read=15 alloc=16 wait_ns=17 read_ns=18 decompress_ns=19 syscall_ns=20
module=virtio_net outcome=suppressed requester=udev comm=(udev-worker) tool=insmod err=19 count=3 time=1700000000000000002 pid=4343 ppid=300 holder=4242 taint=OE degraded=1 reason=stale format=zstd path=userspace file=21 image=22 module_bytes=23 text_bytes=24 read=25 alloc=26 wait_ns=27 read_ns=28 decompress_ns=29 syscall_ns=30 device=/devices/pci0000:00/0000:00:03.0/virtio0 seqnum=751 modalias=virtio:d00000001v00001AF4
SPEC
python3 - "$here" "$T/run/stats" <<'PY'
import glob, sys
sys.path.insert(0, sys.argv[1])
import record
boot = open("/proc/sys/kernel/random/boot_id").read().strip()
files = glob.glob(sys.argv[2] + "/*.events")
assert len(files) == 1, files
recs, bad = record.read_store(files[0])
assert bad == 0, bad
common = {"tag": "k1", "boot_id": boot}
want = [
    dict(common, time_ns="1700000000000000001", module="nvme", tool="modprobe", pid="4242", requester="kernel",
         ppid="2", parent_comm="kworker/u4:1", outcome="loaded", err="0", holder_pid="0", degraded_reason="",
         degraded="0", format="xz", path="kernel", file_bytes="11", image_bytes="12", module_bytes="13",
         text_bytes="14", wait_ns="17", read_ns="18", decompress_ns="19", syscall_ns="20", kernel_read_bytes="15",
         kernel_alloc_bytes="16", taint="", count="1", device="", seqnum="0", modalias=""),
    dict(common, time_ns="1700000000000000002", module="virtio_net", tool="insmod", pid="4343", requester="udev",
         ppid="300", parent_comm="(udev-worker)", outcome="suppressed", err="19", holder_pid="4242",
         degraded_reason="stale", degraded="1", format="zstd", path="user", file_bytes="21", image_bytes="22",
         module_bytes="23", text_bytes="24", wait_ns="27", read_ns="28", decompress_ns="29", syscall_ns="30",
         kernel_read_bytes="25", kernel_alloc_bytes="26", taint="OE", count="3",
         device="/devices/pci0000:00/0000:00:03.0/virtio0", seqnum="751", modalias="virtio:d00000001v00001AF4"),
]
assert set(want[0]) == set(record.FIELDS) | set(record.DEVICE_FIELDS), "the expectations name every field"
assert len(recs) == 2, recs
for got, exp in zip(recs, want):
    for k in exp:
        assert got[k] == exp[k], f"{exp['module']}: field {k} is {got[k]!r}, expected {exp[k]!r}"
print("ok")
PY
