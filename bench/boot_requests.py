#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Boot requests on a real Debian kernel's module tree: kmodx against Debian 12's
kmod 30, Debian 13's kmod 34.2 and the floor.

In the simulated kernel, on the module tree of Debian's cloud kernel (6.1 from
bookworm, 6.12 from trixie), every tool is run the same way with the same argv
and environment, interleaved (every iteration runs every case with every tool,
in rotating orders), medians of N:
  kmod30   /usr/bin/kmod as modprobe (Debian 12)
  kmod34   Debian 13's kmod 34.2 from its own packages and its own C library
           (testsuite/fixtures/debian13-root.sh), through that root's ld.so
  kmodx    BUILD/tools/modprobe
  floor    /bin/true: what starting any program under the shim costs
The machine roots live on tmpfs (/dev/shm) as /run and /sys do on a machine,
and every process decompresses for the simulated kernel with the same
liblzma (Debian 13's), so the kernel's share of a cold load is the same
for every tool.
Cases: the requests a boot makes for modules already live (plain name, fs-*
alias, device modalias, the 594-byte CPU modalias), a device modalias nothing
claims (udev asks for most devices) and a cold load with dependencies.
Goals: live cases <= 0.7x both kmods and <= 1.3x the floor; cold <= 0.8x.
A missed goal is flagged, not an error; a tool whose exit status differs from
kmod 30's is (exit 1).
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
FIXTURES = os.path.join(SRC, "testsuite/fixtures")
BOOT_ID = "6b1f0c9e-4a2d-4e7b-9c1a-0f2e3d4c5b6a"
TOOLS = ("kmod30", "kmod34", "kmodx", "floor")

# Device modaliases for case c, first one that a loadable module of the tree
# claims: virtio-net's PCI function (virtio_pci, a module on 6.1 but built in
# on 6.12, where its PCI alias is in no index) and then its virtio device.
DEVICE_MODALIASES = ["pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00",
                     "virtio:d00000001v00001AF4"]
# Case e: a PIIX3 ISA bridge, which every PC-like VM has and no module claims.
UNCLAIMED_MODALIAS = "pci:v00008086d00007000sv00000000sd00000000bc06sc01i00"
# ceph with libceph, netfs (and fscache on 6.1); not raid456, whose `depends=md-mod`
# the simulated kernel does not match to md_mod.
COLD_MODULE = "ceph"


def measure(build, argv, env):
    out = subprocess.run([os.path.join(build, "bench/measure")] + argv, env=env,
                         capture_output=True, text=True, check=True)
    ns, kib, rc = out.stdout.split()[:3]
    return int(ns), int(kib), int(rc)


def run(argv, env, check=True):
    return subprocess.run(argv, env=env, capture_output=True, text=True, check=check)


def live_modules(root):
    with open(os.path.join(root, "proc/modules")) as f:
        return {l.split()[0] for l in f if l.strip() and l.split()[4] == "Live"}


def make_root(tree, depmod, tmp):
    """A machine root with the tree's modules indexed by DEPMOD, /run and a boot
    id (kmodx pays for its stats record as on a real machine), no init time."""
    root = os.path.join(tmp, "root-" + tree)
    env = dict(os.environ, DEPMOD=depmod) if depmod else None
    kver = run([os.path.join(FIXTURES, "debian-tree.sh"), tree, root], env).stdout.split()[-1]
    os.makedirs(os.path.join(root, ".simkernel"), exist_ok=True)
    os.makedirs(os.path.join(root, "run"), exist_ok=True)
    os.makedirs(os.path.join(root, "proc/sys/kernel/random"), exist_ok=True)
    with open(os.path.join(root, "proc/sys/kernel/random/boot_id"), "w") as f:
        f.write(BOOT_ID + "\n")
    with open(os.path.join(root, ".simkernel/config"), "w") as f:
        f.write("load_ns_base=0\nload_ns_per_kib=0\nread_ns_per_kib=0\n")
    # Debian's 6.12 kernel decompresses its .ko.xz itself (MODULE_DECOMPRESS),
    # so the kmods that can hand it the compressed file do.
    dep = open(os.path.join(root, "lib/modules", kver, "modules.dep")).read()
    if ".ko.xz:" in dep:
        with open(os.path.join(root, "sys/module/compression"), "w") as f:
            f.write("xz\n")
    return root, kver


def resolve(stock30, alias, env):
    """kmod 30's answer to `modprobe -R ALIAS` in the root: module names."""
    p = run([stock30, "-R", alias], env, check=False)
    return p.stdout.split() if p.returncode == 0 else []


def source_commit(build):
    try:
        info = json.load(open(os.path.join(build, "meson-info/meson-info.json")))
        src = info["directories"]["source"]
        head = run(["git", "-C", src, "log", "-1", "--format=%h %cs %s"], None).stdout.strip()
        dirty = run(["git", "-C", src, "status", "--porcelain", "-uno"], None).stdout.strip()
        return f"{head}{' (+ uncommitted changes)' if dirty else ''} [{src}]"
    except (OSError, KeyError, ValueError, subprocess.CalledProcessError):
        return "unknown"


def bench_tree(args, tree, depmod, tmp, failures):
    root, kver = make_root(tree, depmod, tmp)
    bindir = os.path.join(tmp, "stock30")
    os.makedirs(bindir, exist_ok=True)
    stock30 = os.path.join(bindir, "modprobe")
    if not os.path.islink(stock30):
        os.symlink(args.stock30, stock30)
    r34 = args.root34
    argv = {
        "kmod30": [stock30],
        "kmod34": [os.path.join(r34, "usr/lib64/ld-linux-x86-64.so.2"), "--argv0", "modprobe",
                   "--library-path", os.path.join(r34, "usr/lib/x86_64-linux-gnu"),
                   os.path.join(r34, "usr/bin/kmod")],
        "kmodx": [os.path.join(args.build, "tools/modprobe")],
        "floor": ["/bin/true"],
    }
    # The simulated kernel decompresses a .ko.xz handed to it (6.12) with the
    # liblzma of the process it runs in. kmod 34.2 runs on Debian 13's
    # libraries, whose liblzma 5.8 decodes faster than Debian 12's 5.4: that
    # would time two xz decoders, not two modprobes. Every tool gets Debian
    # 13's (kmod 34.2 through its own --library-path, the others through
    # LD_LIBRARY_PATH), as a kernel's decompression costs every caller alike.
    xzdir = os.path.join(tmp, "xz")
    os.makedirs(xzdir, exist_ok=True)
    xzlink = os.path.join(xzdir, "liblzma.so.5")
    if not os.path.lexists(xzlink):
        os.symlink(os.path.realpath(os.path.join(r34, "usr/lib/x86_64-linux-gnu/liblzma.so.5")), xzlink)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/", "TERM": "linux",
           "LD_PRELOAD": os.path.join(args.build, "testsuite/simkernel/libsimkernel.so"),
           "LD_LIBRARY_PATH": xzdir, "SIMKERNEL_ROOT": root}
    # Each module call's time inside the simulated kernel, per measured run.
    timelog = os.path.join(tmp, "kernel-ns." + tree)
    env["SIMKERNEL_TIME_LOG"] = timelog

    def kernel_ns():
        try:
            with open(timelog) as f:
                return sum(int(l) for l in f if l.strip())
        except FileNotFoundError:
            return 0

    version = run(argv["kmod34"] + ["-V"], env).stdout.split("\n")[0]
    if "34." not in version:
        sys.exit(f"bench: {r34} runs '{version}', not kmod 34")

    # Each modprobe must go through the shim (root: a real finit_module would
    # reach this machine's kernel): each loads one module cold, seen in the root.
    for tool, mod in (("kmod30", "dummy"), ("kmod34", "veth"), ("kmodx", "tun")):
        p = run(argv[tool] + ["--", mod], env, check=False)
        if p.returncode != 0 or mod not in live_modules(root):
            sys.exit(f"bench: {tool} did not load {mod} in the simulated kernel: {p.stderr.strip()}")

    device = next((a for a in DEVICE_MODALIASES if resolve(stock30, a, env)), None)
    if device is None:
        sys.exit(f"bench: no module of {kver} claims {' or '.join(DEVICE_MODALIASES)}")
    cpu = open(os.path.join(FIXTURES, "cpu-modalias.txt")).read().strip()
    if resolve(stock30, UNCLAIMED_MODALIAS, env):
        sys.exit(f"bench: {UNCLAIMED_MODALIAS} resolves to a module on {kver}")
    cases = [  # label, argv tail, kind
        ("a. name, live: -q -- xfs", ["-q", "--", "xfs"], "live"),
        ("b. alias, live: -q -- fs-xfs", ["-q", "--", "fs-xfs"], "live"),
        (f"c. device modalias, live: -bq {device[:14]}...", ["-bq", device], "live"),
        ("d. CPU modalias, live: -bq cpu:type:x86,...", ["-bq", cpu], "live"),
        ("e. modalias nothing claims: -bq pci:...7000...", ["-bq", UNCLAIMED_MODALIAS], "live"),
        (f"f. cold load: -q -- {COLD_MODULE}", ["-q", "--", COLD_MODULE], "cold"),
    ]
    for _, tail, kind in cases:
        if kind != "live":
            continue
        wanted = set()
        for a in tail[1:]:
            if a != "--":
                wanted |= {m.replace("-", "_") for m in resolve(stock30, a, env)}
        run(argv["kmod30"] + tail, env, check=False)
        missing = wanted - live_modules(root)
        if missing:
            sys.exit(f"bench: {' '.join(tail)}: not live after loading: {' '.join(sorted(missing))}")
    if COLD_MODULE in live_modules(root):
        sys.exit(f"bench: {COLD_MODULE} is live before its cold case")

    def unload():
        run(argv["kmod30"] + ["-r", "-q", "--", COLD_MODULE], env, check=False)
        if COLD_MODULE in live_modules(root):
            sys.exit(f"bench: modprobe -r {COLD_MODULE} left it live")

    # kmod 30's exit status is each case's expected one (1 for the unclaimed modalias).
    expected = []
    for _, tail, kind in cases:
        expected.append(run(argv["kmod30"] + tail, env, check=False).returncode)
        if kind == "cold":
            unload()
    # Every iteration runs every case with every tool, cases and tools in a
    # rotating order, so a burst of load on the machine falls on all alike.
    ns = [{t: [] for t in TOOLS} for _ in cases]
    kns = [{t: [] for t in TOOLS} for _ in cases]
    for i in range(args.n):
        k = i % len(TOOLS)
        order = TOOLS[k:] + TOOLS[:k]
        if i % 2:
            order = tuple(reversed(order))
        c = i % len(cases)
        for ci in list(range(c, len(cases))) + list(range(c)):
            label, tail, kind = cases[ci]
            for tool in order:
                if kind == "cold" and tool != "floor":
                    unload()
                if os.path.exists(timelog):
                    os.unlink(timelog)
                t, _, rc = measure(args.build, argv[tool] + tail, env)
                ns[ci][tool].append(t)
                kns[ci][tool].append(kernel_ns())
                if tool != "floor" and rc != expected[ci]:
                    failures.append(f"{kver} {label}: {tool} exited {rc}, kmod 30 {expected[ci]}")
    # Ratios are medians of each iteration's ratio: the four runs of one case in
    # one iteration follow each other within milliseconds, under the same load.
    results = []
    for ci, (label, _, kind) in enumerate(cases):
        med = {t: statistics.median(v) / 1e3 for t, v in ns[ci].items()}
        ratios = {t: statistics.median(x / y for x, y in zip(ns[ci]["kmodx"], ns[ci][t]))
                  for t in ("kmod30", "kmod34", "floor")}
        # The tool's own time: what is left when the simulated kernel's
        # module calls (the same loads for every tool) are taken out.
        own = {t: [x - k for x, k in zip(ns[ci][t], kns[ci][t])] for t in TOOLS}
        kernel = {t: statistics.median(v) / 1e3 for t, v in kns[ci].items()}
        own_ratios = {t: statistics.median(x / y for x, y in zip(own["kmodx"], own[t]) if y > 0)
                      for t in ("kmod30", "kmod34")}
        results.append((label, kind, expected[ci], med, ratios, kernel, own_ratios))

    events = os.path.join(root, f"run/kmodx/stats/{BOOT_ID}.events")
    recorded = 0
    if os.path.exists(events):
        recorded = sum(1 for l in open(events, errors="replace") if l.startswith("k1\t"))
    if recorded < args.n * 4:
        failures.append(f"{kver}: kmodx recorded {recorded} stats events for {args.n} runs of "
                        "each live case: not what a real machine pays")
    if not args.keep:
        shutil.rmtree(root)
    return kver, version, device, results


def print_table(kver, version34, device, results, n):
    goals = {"live": (0.7, 0.7, 1.3), "cold": (0.8, 0.8, None)}
    print(f"\n{kver}: medians of {n} interleaved runs, microseconds (device modalias {device})")
    print(f"{'case':50} {'exit':>4} {'kmod30':>8} {'kmod34':>8} {'kmodx':>8} {'floor':>8}"
          f" {'x/30':>6} {'x/34':>6} {'x/floor':>7}  goals missed")
    for label, kind, rc, m, r, _, _ in results:
        r30, r34, rf = r["kmod30"], r["kmod34"], r["floor"]
        g30, g34, gf = goals[kind]
        missed = [name for name, r, g in (("x/30", r30, g30), ("x/34", r34, g34), ("x/floor", rf, gf))
                  if g is not None and r > g]
        print(f"{label:50} {rc:4} {m['kmod30']:8.0f} {m['kmod34']:8.0f} {m['kmodx']:8.0f} {m['floor']:8.0f}"
              f" {r30:6.2f} {r34:6.2f} {rf:7.2f}  {' '.join(missed) or '-'}")
    print("x/30, x/34, x/floor: median of the iterations' kmodx/tool ratios. Goals: live <= 0.7"
          f" x/30 and x/34, <= 1.3 x/floor; cold <= 0.8 x/30 and x/34 (kmod34 = {version34})")
    for label, kind, rc, m, r, k, own in results:
        if kind != "cold":
            continue
        print(f"{label}: inside the simulated kernel (module calls) kmod30 {k['kmod30']:.0f},"
              f" kmod34 {k['kmod34']:.0f}, kmodx {k['kmodx']:.0f} us; outside it kmodx/kmod30"
              f" {own['kmod30']:.2f}, kmodx/kmod34 {own['kmod34']:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", help="meson build directory (tools/modprobe, bench/measure, the shim)")
    ap.add_argument("-n", type=int, default=101, help="runs per tool and case (default 101)")
    ap.add_argument("--quick", action="store_true", help="5 runs per tool and case")
    ap.add_argument("--stock30", default="/usr/bin/kmod", help="Debian 12's kmod")
    ap.add_argument("--root34", help="Debian 13 root (default: testsuite/fixtures/debian13-root.sh)")
    ap.add_argument("--tree", action="append",
                    help="cloud (Debian 12's cloud kernel), trixie-cloud (Debian 13's) or a "
                         "linux-image VERSION suffix; repeatable (default: cloud and trixie-cloud)")
    ap.add_argument("--tmpdir", help="where the machine roots go (default /dev/shm, a tmpfs, when writable)")
    ap.add_argument("--keep", action="store_true", help="keep the machine roots (printed)")
    args = ap.parse_args()
    if args.quick:
        args.n = 5
    args.build = os.path.abspath(args.build)
    for p in ("tools/modprobe", "bench/measure", "testsuite/simkernel/libsimkernel.so"):
        if not os.path.exists(os.path.join(args.build, p)):
            sys.exit(f"bench: missing {args.build}/{p} (ninja -C {args.build})")
    if not os.path.exists(args.stock30):
        sys.exit(f"bench: missing {args.stock30}")
    d13 = os.path.join(FIXTURES, "debian13-root.sh")
    if args.root34 is None:
        args.root34 = run([d13], None).stdout.strip()
    args.root34 = os.path.abspath(args.root34)
    # Debian 13's tree is indexed by Debian 13's depmod, as on a trixie machine.
    depmod34 = os.path.join(tempfile.mkdtemp(prefix="kmodx-depmod34."), "depmod")
    with open(depmod34, "w") as f:
        f.write(f"#!/bin/sh\nexec {args.root34}/usr/lib64/ld-linux-x86-64.so.2 --argv0 depmod"
                f" --library-path {args.root34}/usr/lib/x86_64-linux-gnu"
                f" {args.root34}/usr/bin/kmod \"$@\"\n")
    os.chmod(depmod34, 0o755)
    trees = []
    for t in args.tree or ["cloud", "trixie-cloud"]:
        if t == "trixie-cloud":
            trees.append((run([d13, "kernel"], None).stdout.strip(), depmod34))
        else:
            trees.append((t, None))

    load = open("/proc/loadavg").read().split()[:3]
    print(f"boot_requests benchmark {datetime.datetime.now().isoformat(timespec='minutes')},"
          f" load {' '.join(load)}, {os.cpu_count()} CPUs")
    print(f"kmodx {source_commit(args.build)}")
    failures = []
    # On a machine /run and /sys are in memory, and the module files in the
    # page cache: the roots (the simulated kernel's sysfs, kmodx's locks and
    # stats under run/) go to tmpfs when there is one, not to a disk
    # filesystem whose journal would be timed with every lock file.
    where = args.tmpdir or ("/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None)
    print(f"machine roots in {where or tempfile.gettempdir()}")
    with tempfile.TemporaryDirectory(prefix="kmodx-boot-bench.", dir=where) as tmp:
        if args.keep:
            tmp = tempfile.mkdtemp(prefix="kmodx-boot-bench.", dir=where)
            print(f"roots kept in {tmp}")
        for tree, depmod in trees:
            print_table(*bench_tree(args, tree, depmod, tmp, failures), args.n)
            sys.stdout.flush()
    shutil.rmtree(os.path.dirname(depmod34))
    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
