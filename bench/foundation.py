#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Foundation benchmarks: kmodx versus Debian's kmod in the simulated kernel.

Same machine root, alternating runs (kmod, kmodx, kmod, ...), medians of N
invocations each:
  1. `modprobe -q -- NAME` of a module that is already live (the commonest
     call at boot), and the same call with an alias of it (the kernel asks
     for char-major-*, fs-*, crypto-*, net-pf-*);
  2. cold load of a module with a 5-deep dependency chain (chain_a);
  3. peak RSS of (1) and (2).
Prints one table with kmodx/kmod ratios. Goals: time ratios <= 1.0, RSS <= 1.2.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile


MEASURE = None  # bench/measure in the build dir, set in main()


def spawn(argv, env):
    """Runs argv through bench/measure: (wall ns, max RSS KiB, exit status)."""
    out = subprocess.run([MEASURE] + argv, env=env, capture_output=True, text=True, check=True)
    ns, kib, rc = out.stdout.split()[:3]
    return int(ns), int(kib), int(rc)


def make_root(fixture_root, tmp):
    root = os.path.join(tmp, "root")
    shutil.copytree(fixture_root, root, symlinks=True)
    os.makedirs(os.path.join(root, ".simkernel"), exist_ok=True)
    # As on a real machine: /run exists and the kernel has a boot id, so
    # kmodx pays for its lock files and its stats record in every run.
    os.makedirs(os.path.join(root, "run"), exist_ok=True)
    os.makedirs(os.path.join(root, "proc/sys/kernel/random"), exist_ok=True)
    with open(os.path.join(root, "proc/sys/kernel/random/boot_id"), "w") as f:
        f.write("6b1f0c9e-4a2d-4e7b-9c1a-0f2e3d4c5b6a\n")
    # Userspace cost only: the simulated module init takes no time.
    with open(os.path.join(root, ".simkernel", "config"), "w") as f:
        f.write("load_ns_base=0\nload_ns_per_kib=0\nread_ns_per_kib=0\n")
    return root


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", help="meson build directory")
    ap.add_argument("-n", type=int, default=201, help="invocations per tool and case")
    ap.add_argument("--stock", default="/usr/bin/kmod")
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    global MEASURE
    MEASURE = os.path.join(build, "bench/measure")
    fixture_root = os.path.join(build, "testsuite/fixtures/root")
    shim = os.path.join(build, "testsuite/simkernel/libsimkernel.so")
    for p in (fixture_root, shim, args.stock, MEASURE):
        if not os.path.exists(p):
            sys.exit(f"bench: missing {p} (build first: ./dev test or ninja -C build)")

    with tempfile.TemporaryDirectory(prefix="kmodx-bench.") as tmp:
        root = make_root(fixture_root, tmp)
        bindir = os.path.join(tmp, "stock")
        os.mkdir(bindir)
        for t in ("modprobe", "rmmod"):
            os.symlink(args.stock, os.path.join(bindir, t))
        tools = {
            "kmod": os.path.join(bindir, "modprobe"),
            "kmodx": os.path.join(build, "tools/modprobe"),
        }
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/", "TERM": "linux",
               "LD_PRELOAD": shim, "SIMKERNEL_ROOT": root}

        def run_case(prepare, argv_tail):
            samples = {k: [] for k in tools}
            rss = {k: [] for k in tools}
            for i in range(args.n):
                order = list(tools) if i % 2 == 0 else list(reversed(tools))
                for name in order:
                    if prepare:
                        prepare()
                    ns, kib, rc = spawn([tools[name]] + argv_tail, env)
                    if rc != 0:
                        sys.exit(f"bench: {name} {' '.join(argv_tail)} exited {rc}")
                    samples[name].append(ns)
                    rss[name].append(kib)
            return ({k: statistics.median(v) for k, v in samples.items()},
                    {k: max(v) for k, v in rss.items()})

        def unload_chain():
            for m in ("chain_a", "chain_b", "chain_c", "chain_d", "chain_e"):
                spawn([os.path.join(bindir, "rmmod"), m], env)

        # Case 1 needs the module live first.
        spawn([tools["kmod"], "-q", "--", "evdev"], env)
        spawn([tools["kmod"], "-q", "--", "kvm"], env)
        live_t, live_rss = run_case(None, ["-q", "--", "evdev"])
        alias_t, _ = run_case(None, ["-q", "--", "char-major-10-232"])
        cold_t, cold_rss = run_case(unload_chain, ["-q", "--", "chain_a"])
        events = os.path.join(root, "run/kmodx/stats/6b1f0c9e-4a2d-4e7b-9c1a-0f2e3d4c5b6a.events")
        recorded = sum(1 for l in open(events, errors="replace") if l.startswith("k1\t")) if os.path.exists(events) else 0
        if recorded < 3 * args.n:
            sys.exit(f"bench: kmodx recorded {recorded} events for {3 * args.n} runs: not what a real machine pays")

    rows = [
        ("modprobe -q already-live (median us)", live_t["kmod"] / 1e3, live_t["kmodx"] / 1e3, 1.0),
        ("modprobe -q already-live alias (median us)", alias_t["kmod"] / 1e3, alias_t["kmodx"] / 1e3, 1.0),
        ("cold load, 5-deep chain (median us)", cold_t["kmod"] / 1e3, cold_t["kmodx"] / 1e3, 1.0),
        ("peak RSS already-live (KiB)", live_rss["kmod"], live_rss["kmodx"], 1.2),
        ("peak RSS cold chain (KiB)", cold_rss["kmod"], cold_rss["kmodx"], 1.2),
    ]
    print(f"foundation benchmark, {args.n} runs per tool and case, alternating")
    print(f"{'case':42} {'kmod':>10} {'kmodx':>10} {'ratio':>7} {'goal':>6}")
    worst = 0
    for name, k, x, goal in rows:
        ratio = x / k if k else float("inf")
        flag = "" if ratio <= goal else "  (over goal)"
        print(f"{name:42} {k:10.1f} {x:10.1f} {ratio:7.3f} {'<=' + str(goal):>6}{flag}")
        worst = max(worst, ratio / goal)
    return 0


if __name__ == "__main__":
    sys.exit(main())
