#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What recording costs on the already-live fast path.

`modprobe -q -- NAME` for a module that is already live, in the simulated
kernel: kmodx recording into the stats store against the same binary with
recording off (KMODX_STATS=off). Same machine root, alternating runs, medians
of N invocations each: wall time (bench/measure) and CPU time (user + system
of the run, which a busy machine disturbs less). Goal: ratio <= 1.05.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

BOOT_ID = "6b1f0c9e-4a2d-4e7b-9c1a-0f2e3d4c5b6a"


def spawn(measure, argv, env):
    """(wall ns from bench/measure, CPU ns of the run, exit status)."""
    p = subprocess.Popen([measure] + argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = p.stdout.read()
    p.stdout.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"bench: measure exited {p.returncode}")
    ns, _kib, rc = out.split()[:3]
    return int(ns), int((ru.ru_utime + ru.ru_stime) * 1e9), int(rc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", help="meson build directory")
    ap.add_argument("-n", type=int, default=301, help="invocations per variant")
    ap.add_argument("--module", default="crc64")
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    measure = os.path.join(build, "bench/measure")
    fixture_root = os.path.join(build, "testsuite/fixtures/root")
    shim = os.path.join(build, "testsuite/simkernel/libsimkernel.so")
    modprobe = os.path.join(build, "tools/modprobe")
    for p in (fixture_root, shim, measure, modprobe):
        if not os.path.exists(p):
            sys.exit(f"bench: missing {p} (build first: ninja -C {args.build})")

    with tempfile.TemporaryDirectory(prefix="kmodx-bench-rec.") as tmp:
        root = os.path.join(tmp, "root")
        shutil.copytree(fixture_root, root, symlinks=True)
        os.makedirs(os.path.join(root, ".simkernel"), exist_ok=True)
        os.makedirs(os.path.join(root, "run"), exist_ok=True)
        os.makedirs(os.path.join(root, "proc/sys/kernel/random"), exist_ok=True)
        with open(os.path.join(root, "proc/sys/kernel/random/boot_id"), "w") as f:
            f.write(BOOT_ID + "\n")
        with open(os.path.join(root, ".simkernel", "config"), "w") as f:
            f.write("load_ns_base=0\nload_ns_per_kib=0\nread_ns_per_kib=0\n")
        base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/", "TERM": "linux",
                "LD_PRELOAD": shim, "SIMKERNEL_ROOT": root}
        argv = [modprobe, "-q", "--", args.module]
        # Load it once; every measured call then takes the fast path.
        if spawn(measure, argv, base)[2] != 0:
            sys.exit(f"bench: loading {args.module} failed")
        variants = {"recording": dict(base), "off": dict(base, KMODX_STATS="off")}
        samples = {k: [] for k in variants}
        cpu = {k: [] for k in variants}
        for i in range(args.n):
            order = list(variants) if i % 2 == 0 else list(reversed(variants))
            for name in order:
                ns, cpu_ns, rc = spawn(measure, argv, variants[name])
                if rc != 0:
                    sys.exit(f"bench: {name} run exited {rc}")
                samples[name].append(ns)
                cpu[name].append(cpu_ns)
        events = os.path.join(root, "run/kmodx/stats", BOOT_ID + ".events")
        recorded = sum(1 for l in open(events, errors="replace") if l.startswith("k1\t") and "\tboot\t" not in l)
        if recorded < args.n:
            sys.exit(f"bench: only {recorded} events for {args.n} recording runs")
        med = {k: statistics.median(v) for k, v in samples.items()}
        med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
        ratio = med["recording"] / med["off"]
        ratio_cpu = med_cpu["recording"] / med_cpu["off"] if med_cpu["off"] else float("nan")
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        print(f"already-live fast path, {args.n} runs each (medians; load average {load} at the end):")
        print(f"  recording off  wall {med['off'] / 1e6:8.3f} ms  cpu {med_cpu['off'] / 1e6:8.3f} ms")
        print(f"  recording on   wall {med['recording'] / 1e6:8.3f} ms  cpu {med_cpu['recording'] / 1e6:8.3f} ms"
              f"   ({recorded} events in the store)")
        verdict = lambda r: "ok" if r <= 1.05 else "over"
        print(f"  ratio wall {ratio:.3f} ({verdict(ratio)}), cpu {ratio_cpu:.3f} ({verdict(ratio_cpu)}); goal <= 1.05")

if __name__ == "__main__":
    main()
