# SPDX-License-Identifier: LGPL-2.1-or-later
"""The stats store's record as lib/stats/event.cpp writes it (docs/stats.md, "Format"): the one
definition of its fields for the test suite's Python and shell readers. check_record.sh holds it
to the C++ encoder: every field written by the store, read back here by name."""
import zlib

TAG = "k1"
FIELDS = ("tag", "time_ns", "boot_id", "module", "tool", "pid", "requester", "ppid", "parent_comm", "outcome",
          "err", "holder_pid", "degraded_reason", "degraded", "format", "path", "file_bytes", "image_bytes",
          "module_bytes", "text_bytes", "wait_ns", "read_ns", "decompress_ns", "syscall_ns", "kernel_read_bytes",
          "kernel_alloc_bytes", "taint", "count")
# Only on a request from udev, between COUNT and the CRC-32.
DEVICE_FIELDS = ("device", "seqnum", "modalias")


def decode(line):
    """A whole record's fields by name (strings as stored, escapes kept; a record without udev's
    fields reads them as "" and "0"), or None for anything else: the header, a torn or damaged
    line, another version."""
    f = line.rstrip("\n").split("\t")
    if len(f) not in (len(FIELDS) + 1, len(FIELDS) + len(DEVICE_FIELDS) + 1) or f[0] != TAG or f[1] == "boot":
        return None
    body = line.rstrip("\n")[:line.rstrip("\n").rindex("\t")]
    if f"{zlib.crc32(body.encode('utf-8', 'surrogateescape')):08x}" != f[-1]:
        return None
    rec = dict(zip(FIELDS, f))
    rec.update(zip(DEVICE_FIELDS, f[len(FIELDS):-1]) if len(f) > len(FIELDS) + 1 else
               {"device": "", "seqnum": "0", "modalias": ""})
    return rec


def read_store(path):
    """(records, lines that hold no whole record) of one store file. As kmodx's reader does, a
    record that continues a torn line (its writer died or ran out of space mid-write) is found by
    its tag and CRC. A missing file reads as (None, 0)."""
    try:
        data = open(path, "rb").read().decode("utf-8", "surrogateescape")
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None, 0
    out, bad = [], 0
    for i, line in enumerate(data.split("\n")):
        if not line or (i == 0 and line.startswith(TAG + "\tboot\t")):
            continue
        rec = decode(line)
        if rec is not None:
            out.append(rec)
            continue
        at = line.find(TAG + "\t", 1)
        while at > 0 and decode(line[at:]) is None:
            at = line.find(TAG + "\t", at + 1)
        found = [r for r in (decode(line[:at]), decode(line[at:])) if r] if at > 0 else []
        if len(found) < 2:
            bad += 1
        out.extend(found)
    return out, bad
