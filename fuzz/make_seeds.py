#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed corpora in fuzz/corpus/<target>/ (committed; rerun after
changing a harness's input layout): small valid inputs of each format plus
the edge cases the properties are about (bombs, torn records, bad values).
Usage: fuzz/make_seeds.py [FIXTURE_MODULE.ko [FIXTURE_MODULES_DIR]]
(FIXTURE_MODULES_DIR: build/testsuite/fixtures/root/lib/modules/6.1.0-sim,
whose depmod indexes seed module_index.)"""
import gzip
import lzma
import os
import shutil
import struct
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def zstd(data, level=3):
    return subprocess.run(["zstd", "-q", "-c", f"-{level}", "-"], input=data, stdout=subprocess.PIPE,
                          check=True).stdout


def xz(data):
    # CRC32 and a 1 MiB dictionary, as the kernel build makes them.
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32,
                         filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 1 << 20}])


def gz(data):
    return gzip.compress(data, mtime=0)


def elf64(modinfo=b"vermagic=6.1.0-sim SMP mod_unload \0name=seed\0depends=\0license=GPL\0",
          extra_versions=True, lsb=True):
    """A minimal relocatable ELF64 shaped like a module: .text, .modinfo,
    __versions and the section name table."""
    e = "<" if lsb else ">"
    names = [b"", b".text", b".modinfo", b"__versions", b".shstrtab"]
    shstr = b"\0".join(names) + b"\0"
    offs, pos = [], 0
    for n in names:
        offs.append(pos)
        pos += len(n) + 1
    text = b"\xc3" * 16
    versions = (struct.pack(e + "Q", 0x1234) + b"module_layout".ljust(56, b"\0")) if extra_versions else b""
    body = text + modinfo + versions + shstr
    shoff = 64 + len(body)
    shoff += (-shoff) % 8
    hdr = b"\x7fELF" + bytes([2, 1 if lsb else 2, 1, 0]) + b"\0" * 8
    hdr += struct.pack(e + "HHIQQQIHHHHHH", 1, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, 5, 4)
    data = hdr + body
    data += b"\0" * (shoff - len(data))
    o_text = 64
    o_modinfo = o_text + len(text)
    o_versions = o_modinfo + len(modinfo)
    o_shstr = o_versions + len(versions)

    def sh(name, typ, flags, off, size):
        return struct.pack(e + "IIQQQQIIQQ", name, typ, flags, 0, off, size, 0, 0, 1, 0)
    data += b"\0" * 64
    data += sh(offs[1], 1, 0x6, o_text, len(text))
    data += sh(offs[2], 1, 0x2, o_modinfo, len(modinfo))
    data += sh(offs[3], 1, 0x2, o_versions, len(versions))
    data += sh(offs[4], 3, 0, o_shstr, len(shstr))
    return data


def bound(n):
    return struct.pack(">I", n)


def decompress_seeds(mod):
    text = b"kmodx fuzz seed: " + b"abcdefgh" * 64
    bomb = b"\0" * (8 << 20)  # 8 MiB of zeros against a 1 MiB bound
    for mode, name, packed in ((1, "gzip", gz(mod)), (2, "xz", xz(mod)), (3, "zstd", zstd(mod))):
        put("decompress", f"{name}_module", bytes([mode]) + bound(1 << 20) + packed)
        put("decompress", f"{name}_by_magic", bytes([0]) + bound(1 << 20) + packed)
        put("decompress", f"{name}_exact_bound", bytes([mode]) + bound(len(mod)) + packed)
        put("decompress", f"{name}_truncated", bytes([mode]) + bound(1 << 20) + packed[: len(packed) // 2])
        put("decompress", f"{name}_round_trip", bytes([mode | 4 | (5 << 3)]) + bound(0) + text)
    put("decompress", "gzip_bomb", bytes([1]) + bound(1 << 20) + gz(bomb))
    put("decompress", "xz_bomb", bytes([2]) + bound(1 << 20) + xz(bomb))
    put("decompress", "zstd_bomb", bytes([3]) + bound(1 << 20) + zstd(bomb, 19))
    put("decompress", "gzip_two_members", bytes([1]) + bound(1 << 20) + gz(text) + gz(text))
    put("decompress", "xz_two_streams", bytes([2]) + bound(1 << 20) + xz(text) + xz(text))
    put("decompress", "zstd_two_frames", bytes([3]) + bound(1 << 20) + zstd(text) + zstd(text))
    put("decompress", "gzip_trailing_garbage", bytes([1]) + bound(1 << 20) + gz(text) + b"junk")
    put("decompress", "plain", bytes([0]) + bound(100) + text)
    # zstd's header declares 4 GiB for a few bytes of input: the declared size must not be reserved.
    put("decompress", "zstd_lying_header", bytes([3]) + bound(4 << 20) + zstd_frame(4 << 30, [(0, text)]))
    # RLE blocks: 128 KiB of output per 4 bytes of input, 64 MiB in all.
    put("decompress", "zstd_rle_bomb", bytes([3]) + bound(1 << 20) + zstd_frame(64 << 20, [(1, b"A")] * 512))


def zstd_frame(content_size, blocks, block_size=128 << 10):
    """A hand-made zstd frame: single segment, 8-byte content size (which may
    lie), then raw (0) or RLE (1) blocks; RLE blocks repeat one byte
    block_size times."""
    out = b"\x28\xb5\x2f\xfd" + bytes([0xE0]) + struct.pack("<Q", content_size)
    for i, (kind, data) in enumerate(blocks):
        size = len(data) if kind == 0 else block_size
        last = 1 if i == len(blocks) - 1 else 0
        out += struct.pack("<I", (size << 3) | (kind << 1) | last)[:3] + data
    return out


def module_image_seeds(mod, real):
    put("module_image", "elf64", bound(1 << 20) + mod)
    put("module_image", "elf64_msb", bound(1 << 20) + elf64(lsb=False))
    put("module_image", "elf64_no_versions", bound(1 << 20) + elf64(extra_versions=False))
    put("module_image", "elf64_no_vermagic", bound(1 << 20) + elf64(modinfo=b"name=seed\0license=GPL\0"))
    put("module_image", "gzip", bound(1 << 20) + gz(mod))
    put("module_image", "xz", bound(1 << 20) + xz(mod))
    put("module_image", "zstd", bound(1 << 20) + zstd(mod))
    put("module_image", "xz_over_bound", bound(100) + xz(mod))
    put("module_image", "truncated_elf", bound(1 << 20) + mod[:100])
    if real:
        put("module_image", "fixture_module", bound(1 << 20) + real)


def record(fields):
    body = "\t".join(fields).encode()
    return body + b"\t%08x\n" % zlib.crc32(body)


BOOT = "0b6f5a0e-3c39-4a7c-9a8e-7d1f5e0f3a11"


def event(module, outcome="loaded", count="1", taint="", fmt="xz", path="kernel", comm="systemd-udevd", device=None):
    # device: udev's DEVPATH, SEQNUM and MODALIAS, the three fields a udev request adds.
    return record(["k1", "1763900000000000000", BOOT, module, "modprobe", "4242", "udev", "1", comm,
                   outcome, "0", "0", "", "0", fmt, path, "25488", "57344", "40960", "8192", "0", "1000",
                   "0", "2000000", "25488", "0", taint, count] + (list(device) if device else []))


def stats_seeds():
    header = record(["k1", "boot", BOOT, "1763900000000000000", "0", "0"])
    one = event("nvme")
    many = event("nvme") + event("nvme_core", "suppressed") + event("kvm_intel", "failed_kernel") + \
        event("crc64", "removed", taint="OE") + event("chain_a", "already_live", count="7")
    put("stats_store", "header_only", b"\0" + header)
    put("stats_store", "one_record", b"\0" + one)
    put("stats_store", "store_file", b"\0" + header + many)
    put("stats_store", "torn_tail", b"\0" + header + many + one[:40])
    put("stats_store", "killed_writer", b"\0" + header + one[:60] + many)
    put("stats_store", "escapes", b"\0" + event("we\\tird\\x01name", comm="a\\\\b\\nc"))
    put("stats_store", "udev_devices", b"\0" + header + event("virtio_net", device=("/devices/pci0000:00/0000:00:03.0/virtio0", "751", "virtio:d00000001v00001AF4"))
        + event("nvme", "suppressed", device=("/devices/pci0000:00/0000:00:04.0", "752", "")) + many)
    put("stats_store", "crc_fixed_by_harness", b"\1" + b"k1\t1\t" + BOOT.encode() + b"\tm\tmodprobe\t1\tuser\t1\tsh"
        b"\tloaded\t0\t0\t\t0\tnone\tnone\t1\t1\t1\t1\t1\t1\t1\t1\t1\t1\t\t1\t00000000\n")
    put("stats_store", "compact_budget", b"\x20" + header + many * 4)


def config_seeds():
    put("config", "all_keys", b"""# kmodx.conf
runtime_dir = /run/kmodx
dedup = yes
lock_wait_ms = 120000
fail_window_s = 60
state_dir = /var/lib/kmodx
stats = on
stats_keep_boots = 10
stats_max_bytes = 4M
""")
    put("config", "bad_values", b"dedup = maybe\nlock_wait_ms = -1\nstats_max_bytes = 2G\n"
        b"stats_keep_boots = 99999999999999999999\nruntime_dir = relative\nno equals sign\nunknown = 1\n")
    put("config", "comments_quotes_crlf", b"stats_max_bytes = \"64K\"  # quoted\r\n  dedup=no#not a comment\r\n"
        b"#whole line\n\tstate_dir = /var/lib/x # trailing\n")
    put("config", "with_env", b"dedup = no\n\0KMODX_DEDUP=yes\nKMODX_STATS_MAX_BYTES=1k\nKMODX_LOCK_WAIT_MS=5\n"
        b"KMODX_RUNTIME_DIR=/tmp/r\n")


def cmdline_seeds():
    def words(env, *argv):
        out = bytes([1 if env is not None else 0])
        ws = ([env] if env is not None else []) + list(argv)
        return out + b"\0".join(w.encode() for w in ws)
    put("cmdline", "insert_params", words(None, "-v", "nvme", "io_queue_depth=64", "msg=a b"))
    put("cmdline", "remove", words(None, "-r", "-a", "--remove-holders", "-w", "1000", "nvme", "kvm"))
    put("cmdline", "env_options", words('-q -C "/etc/my conf" -v', "-n", "kvm_intel"))
    put("cmdline", "stats", words(None, "--stats=json", "--boot=-1"))
    put("cmdline", "stats_after_dashdash", words(None, "-C", "--stats", "--", "--stats-reset"))
    put("cmdline", "show", words(None, "-D", "-S", "6.1.0-sim", "-d", "/root", "nvme"))
    put("cmdline", "bad_wait", words(None, "-r", "-w", "12x", "nvme"))
    # A closing quote followed by a space: an empty word, as kmod makes it.
    put("cmdline", "quote_then_space", words('-q -C "nf" -v', "-n", "", "kvm_intel"))
    put("cmdline", "ambiguous", words(None, "--show", "--remove-d", "--force-v", "--st"))


def module_index_seeds(index_dir):
    # mode byte 1: NUL-separated keys, the last one a probe
    keys = ["evdev", "evbug", "e1000", "e1000e", "kvm", "kvm_intel", "kvm_"]
    put("module_index", "built_prefixes", b"\1" + b"\0".join(k.encode() for k in keys))
    put("module_index", "built_empty_key", b"\1\0a\0")
    # alias keys with patterns on the probe's path, matched by fnmatch()
    aliases = ["char_major_10_232", "char_major_10_*", "net_pf_10", "net_pf_10", "crypto_sha[25]*", "crypto_sha1"]
    put("module_index", "built_patterns", b"\1" + b"\0".join(k.encode() for k in aliases) + b"\0crypto_sha256")
    # udev's modaliases: device and CPU patterns as depmod writes them
    modaliases = ["pci:v00001AF4d*sv*sd*bc*sc*i*", "pci:v00001AF4d00001000sv*sd*bc*sc*i*",
                  "pci:v*d*sv*sd*bc02sc00i*", "cpu:type:x86,ven*fam*mod*:feature:*0085*",
                  "cpu:type:x86,ven*fam*mod*:feature:*0081*", "cpu:type:x86,ven*fam*mod*:feature:*0081*",
                  "input:b*v*p*e*-e*k*r*a*m*l*s*f*w*", "snd_card_?"]
    probe = b"pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00"
    put("module_index", "built_modaliases", b"\1" + b"\0".join(k.encode() for k in modaliases) + b"\0" + probe)
    cpu = b"cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001,0081,0085,0089"
    put("module_index", "built_cpu_modalias", b"\1" + b"\0".join(k.encode() for k in modaliases) + b"\0" + cpu)
    if index_dir is None:
        return
    # mode byte 0: key length, key, a real index as depmod wrote it
    for name, key in (("modules.dep.bin", b"evdev"), ("modules.alias.bin", b"kvm")):
        with open(os.path.join(index_dir, name), "rb") as f:
            put("module_index", name.replace(".", "_") + "_" + key.decode(), b"\0" + bytes([len(key)]) + key + f.read())


def main():
    mod = elf64()
    real = None
    if len(sys.argv) > 1:
        with open(sys.argv[1], "rb") as f:
            real = f.read()
    for t in ("decompress", "module_image", "stats_store", "config", "cmdline", "module_index"):
        shutil.rmtree(os.path.join(CORPUS, t), ignore_errors=True)
    decompress_seeds(mod)
    module_image_seeds(mod, real)
    stats_seeds()
    config_seeds()
    cmdline_seeds()
    module_index_seeds(sys.argv[2] if len(sys.argv) > 2 else None)


if __name__ == "__main__":
    main()
