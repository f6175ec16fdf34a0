#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Boot-storm benchmark: kmodx versus Debian's kmod in the simulated kernel.

For N simulated CPUs, every CPU at once asks for every module of the seed report that exists
in the fixture tree (plus xfs, btrfs, dm_mod, loop, as in the real-kernel storms of
docs/vm.md) with the kernel's argv `modprobe -q -- NAME`, and for its CPU modalias
with `modprobe -b MODALIAS` (udev's coldplug of the cpu device). bench/storm_launch forks all
N x M processes first and releases them together through one pipe, under simrun.

Kernel models:
  6.1     model=6.1, the plain .ko tree (Debian 6.1 ships uncompressed modules).
  6.5-xz  model=6.5 (idempotent finit_module on one inode), the .ko.xz tree (Debian 6.12
          style) and /sys/module/compression = xz, so the kernel can decompress
          (MODULE_INIT_COMPRESSED_FILE): kmodx uses finit_module(fd, 4); kmod 30 decompresses
          in userspace and calls init_module(buffer), outside the kernel's merge.
  6.5     model=6.5 with the plain tree (both tools use finit_module; optional).

Tools: kmod (Debian 12's kmod 30, --stock), kmod34 (Debian 13's kmod 34.2 from
testsuite/fixtures/debian13-root.sh's root with its own C library: a copy of its binary whose
interpreter and run path patchelf points at that root, run as modprobe without a wrapper;
--root34, or --no-kmod34 to leave it out) and kmodx. Every process gets Debian 13's liblzma
(LD_LIBRARY_PATH), which the simulated kernel decompresses with, so its share of a load is
the same for every tool. kmod 34.2, like kmodx, hands the kernel the .ko.xz on the 6.5-xz model.

Every run starts from a fresh copy of the tree. kvm_intel fails in init with EOPNOTSUPP (as
under qemu, kernel.md) so "one load per failing module" is exercised. The simulated kernel's
times and kmodx's time bounds are stretched by N/cores (--time-scale): see time_scale().
Goals (checked, PASS/FAIL): kmodx makes exactly one load syscall per distinct module (failing
ones included) and wastes 0 bytes; wall time <= 0.5 x kmod's at N=64 on the 6.1 model.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "testsuite", "fixtures")

SEED_MODULES = """kvm_intel kvm irqbypass crct10dif_pclmul ghash_clmulni_intel sha512_ssse3
sha512_generic aesni_intel crypto_simd cryptd evdev serio_raw virtio_pci nvme nvme_core
virtio_pci_legacy_dev virtio_pci_modern_dev t10_pi virtio crc32_pclmul crc64_rocksoft
crc32c_intel virtio_ring crc64""".split()
STORAGE_MODULES = ["xfs", "btrfs", "dm_mod", "loop"]

# Simulated kernel costs in ns on a real machine (slept, not burnt, by the shim): init 2 ms
# plus 10 us per KiB (kvm ~13 ms, xfs ~21 ms, a 16K crypto helper ~2.2 ms), kernel_read_file
# at 4 GB/s.
COSTS = {"load_ns_base": 2_000_000, "load_ns_per_kib": 10_000, "read_ns_per_kib": 250}
# kmodx's own time bounds (defaults), stretched with the simulated kernel's times.
KMODX_BOUNDS = {"KMODX_LOCK_WAIT_MS": 120_000, "KMODX_FAIL_WINDOW_S": 60}
FAILING = {"kvm_intel": "EOPNOTSUPP"}

VARIANTS = {
    "6.1": {"model": "6.1", "tree": "root", "compression": None},
    "6.5-xz": {"model": "6.5", "tree": "root-xz", "compression": "xz"},
    "6.5": {"model": "6.5", "tree": "root", "compression": None},
}


def source_version():
    """The commit measured, '+dirty' when the working tree has changes."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        rev = subprocess.run(["git", "-C", here, "describe", "--always", "--dirty=+dirty"],
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        rev = "unknown"
    return rev


def module_names(tree):
    """Module names indexed in the tree (file name without .ko*, dashes as underscores)."""
    (kver,) = os.listdir(os.path.join(tree, "lib", "modules"))
    names = set()
    with open(os.path.join(tree, "lib", "modules", kver, "modules.dep"), encoding="utf-8") as f:
        for line in f:
            path = line.split(":", 1)[0]
            base = os.path.basename(path)
            names.add(base[:base.index(".ko")].replace("-", "_"))
    return names


def time_scale(arg, n):
    """N CPUs' requests share this machine's cores, so each runs about N/cores times slower
    than on the real N-CPU machine; the simulated kernel's times are stretched as much, which
    keeps how far requests overlap with loads in flight (what makes duplicates) as at boot."""
    if arg == "auto":
        return max(1.0, n / (os.cpu_count() or 1))
    return float(arg)


def make_root(tree, dest, variant, scale):
    """A private machine: module files hard-linked (only read), everything else copied."""
    os.mkdir(dest)
    for entry in os.listdir(tree):
        src = os.path.join(tree, entry)
        if entry == "lib":
            shutil.copytree(src, os.path.join(dest, entry), symlinks=True, copy_function=os.link)
        elif os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, entry), symlinks=True)
        else:
            shutil.copy2(src, os.path.join(dest, entry))
    os.makedirs(os.path.join(dest, "run"), exist_ok=True)  # /run exists at boot; kmodx makes /run/kmodx
    os.makedirs(os.path.join(dest, ".simkernel"), exist_ok=True)
    with open(os.path.join(dest, ".simkernel", "config"), "w") as f:
        f.write(f"model={variant['model']}\n")
        for k, v in COSTS.items():
            f.write(f"{k}={int(v * scale)}\n")
        for m, e in FAILING.items():
            f.write(f"fail.{m}={e}\n")
    if variant["compression"]:
        with open(os.path.join(dest, "sys", "module", "compression"), "w") as f:
            f.write(variant["compression"] + "\n")


def run_storm(ctx, variant, n, tool, requests):
    root = os.path.join(ctx["tmp"], f"{variant['name']}-{n}-{tool}")
    scale = time_scale(ctx["time_scale"], n)
    make_root(ctx["trees"][variant["tree"]], root, variant, scale)
    env = dict(ctx["env"])
    for k, v in KMODX_BOUNDS.items():
        env.setdefault(k, str(int(v * scale)))
    lines = "".join("\t".join(r) + "\n" for r in requests)
    # Its own session, so a run over the time limit can be ended with all its requests.
    proc = subprocess.Popen([ctx["simrun"], root, ctx["launch"], str(n), ctx["tools"][tool]],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    timed_out = False
    try:
        stdout, stderr = proc.communicate(lines, timeout=ctx["time_limit"])
    except subprocess.TimeoutExpired:
        # Recorded, not fatal: the kernel's log still says what happened so far.
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        timed_out = True
    if proc.returncode != 0 and not timed_out:
        sys.exit(f"storm: launcher failed ({proc.returncode}): {stderr.strip()}")
    wall_ns, cpu_ns, statuses, forked = ctx["time_limit"] * 10**9 if timed_out else 0, 0, {}, 0
    for line in stdout.splitlines():
        w = line.split()
        if w[0] == "wall_ns":
            wall_ns = int(w[1])
        elif w[0] == "cpu_ns":
            cpu_ns = int(w[1])
        elif w[0] == "forked":
            forked = int(w[1])
        elif w[0] == "req":
            statuses.setdefault(int(w[1]), {})[int(w[3])] = int(w[5])
    rep = subprocess.run([sys.executable, ctx["report"], root, "--json"], capture_output=True,
                         text=True, check=True)
    data = json.loads(rep.stdout)
    t, per = data["totals"], data["modules"]
    res = {
        "requests": forked, "wall_s": wall_ns / 1e9, "cpu_s": cpu_ns / 1e9, "statuses": statuses,
        "load_calls": t["load_calls"], "finit": t["finit_calls"], "init": t["init_calls"],
        "eexist": t["eexist"], "ebusy": t["ebusy"], "idempotent": t["idempotent_waits"],
        "loaded": t["modules_loaded"], "wasted": t["wasted_bytes"], "peak": t["peak_bytes"],
        "failed_init": t["failed_init"], "timed_out": timed_out,
        "distinct": len([m for m, v in per.items() if v["loads"] > 0]),
        "max_per_module": max((v["loads"] for v in per.values()), default=0),
        "dedup_dir": os.path.isdir(os.path.join(root, "run", "kmodx")),
    }
    with open(os.path.join(root, "proc", "modules"), encoding="utf-8") as f:
        res["live"] = sorted(line.split()[0] for line in f if line.strip())
    shutil.rmtree(root, ignore_errors=True)
    return res


ROWS = [  # key, label, format
    ("load_calls", "load syscalls", "{:,}"),
    ("eexist", "EEXIST", "{:,}"),
    ("ebusy", "EBUSY", "{:,}"),
    ("loaded", "modules loaded", "{:,}"),
    ("wasted", "wasted MB", None),
    ("peak", "peak kernel MB", None),
    ("wall_s", "wall s", "{:.2f}"),
    ("cpu_s", "CPU s", "{:.2f}"),
]


def fmt(key, v, res=None):
    if key == "wall_s" and res and res["timed_out"]:
        return f">{v:.0f}"
    if key in ("wasted", "peak"):
        return f"{v / 1e6:.1f}"
    return dict((k, f) for k, _, f in ROWS)[key].format(v)


def ratio(a, b):
    if b == 0:
        return "-" if a == 0 else "inf"
    return f"{a / b:.2f}"


def print_tables(results, markdown):
    head = ["model", "CPUs", "requests", "tool"] + [label for _, label, _ in ROWS]
    lines = []
    for (vname, n), r in results.items():
        k, x = r["kmod"], r["kmodx"]
        lines.append([vname, str(n), f"{k['requests']:,}", "kmod"] + [fmt(c, k[c], k) for c, _, _ in ROWS])
        if "kmod34" in r:
            k34 = r["kmod34"]
            lines.append(["", "", "", "kmod34"] + [fmt(c, k34[c], k34) for c, _, _ in ROWS])
        lines.append(["", "", "", "kmodx"] + [fmt(c, x[c], x) for c, _, _ in ROWS])
        lines.append(["", "", "", "kmodx/kmod"] + [ratio(x[c], k[c]) for c, _, _ in ROWS])
        if "kmod34" in r:
            lines.append(["", "", "", "kmodx/kmod34"] + [ratio(x[c], r["kmod34"][c]) for c, _, _ in ROWS])
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for l in lines:
            print("| " + " | ".join(l) + " |")
    else:
        widths = [max(len(h), *(len(l[i]) for l in lines)) for i, h in enumerate(head)]
        print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
        for l in lines:
            print("  ".join(c.rjust(w) for c, w in zip(l, widths)))
    print()
    # Which syscall each tool used decides whether the 6.5 kernel's same-inode merge applies.
    for (vname, n), r in results.items():
        kinds = "; ".join(f"{t} {r[t]['finit']:,} finit_module + {r[t]['init']:,} init_module, "
                          f"{r[t]['idempotent']:,} merged by the kernel" for t in r)
        print(f"{'- ' if markdown else ''}{vname} N={n}: {kinds}")


def check_goals(results):
    """PASS/FAIL lines; returns True if every goal holds."""
    ok_all = True

    def verdict(ok, text):
        nonlocal ok_all
        ok_all &= ok
        print(f"{'PASS' if ok else 'FAIL'}  {text}")

    for (vname, n), r in results.items():
        k, x = r["kmod"], r["kmodx"]
        tag = f"{vname} N={n}:"
        for tool in ("kmod", "kmodx"):
            if r[tool]["timed_out"]:
                verdict(False, f"{tag} {tool} did not finish within {r[tool]['wall_s']:.0f} s "
                               "(killed; figures up to then, CPU of the killed requests not counted)")
        verdict(x["dedup_dir"], f"{tag} kmodx deduplicated (ROOT/run/kmodx in use)")
        verdict(x["max_per_module"] == 1 and x["load_calls"] == x["distinct"] == k["distinct"],
                f"{tag} kmodx one load syscall per distinct module: {x['load_calls']} syscalls, "
                f"{x['distinct']} modules (kmod asked for {k['distinct']}, "
                f"{x['failed_init']} failing in init)")
        verdict(x["wasted"] == 0, f"{tag} kmodx wastes 0 bytes ({x['wasted']:,}; kmod {k['wasted']:,})")
        verdict(x["live"] == k["live"] and x["statuses"] == k["statuses"] and bool(x["statuses"]),
                f"{tag} same modules live and same exit status per request as kmod")
        if "kmod34" in r:
            k34 = r["kmod34"]
            verdict(not k34["timed_out"] and k34["live"] == k["live"] and k34["statuses"] == k["statuses"],
                    f"{tag} kmod 34.2 leaves the same modules live with the same exit statuses (the bed is fair)")
        if n == 64 and vname == "6.1":
            verdict(x["wall_s"] <= 0.5 * k["wall_s"],
                    f"{tag} kmodx wall time {x['wall_s']:.2f} s <= 0.5 x kmod's {k['wall_s']:.2f} s "
                    f"(ratio {x['wall_s'] / k['wall_s']:.2f})")
    return ok_all


def kmod34_as_modprobe(root34, tmp):
    """Debian 13's kmod as TMP/kmod34/modprobe: a copy whose interpreter and
    run path are the root's, so storm_launch execs it as modprobe directly
    (a wrapper would add an exec per request)."""
    libs = os.path.join(root34, "usr", "lib", "x86_64-linux-gnu")
    bindir = os.path.join(tmp, "kmod34")
    os.mkdir(bindir)
    exe = os.path.join(bindir, "kmod")
    shutil.copy(os.path.join(root34, "usr", "bin", "kmod"), exe)
    subprocess.run(["patchelf", "--set-interpreter", os.path.join(root34, "usr", "lib64", "ld-linux-x86-64.so.2"),
                    "--force-rpath", "--set-rpath", libs, exe], check=True)
    os.symlink(exe, os.path.join(bindir, "modprobe"))
    version = subprocess.run([os.path.join(bindir, "modprobe"), "-V"], capture_output=True, text=True).stdout
    if "34." not in version:
        sys.exit(f"storm: {exe} says '{version.strip()}', not kmod 34")
    return os.path.join(bindir, "modprobe")


def lzma_dir(root34, tmp):
    """A directory holding only Debian 13's liblzma: the simulated kernel
    decompresses with the process's own, and kmod 34.2 brings 5.8 where
    Debian 12 has 5.4 (docs/performance.md, "Boot requests")."""
    d = os.path.join(tmp, "xz")
    os.mkdir(d)
    os.symlink(os.path.realpath(os.path.join(root34, "usr", "lib", "x86_64-linux-gnu", "liblzma.so.5")),
               os.path.join(d, "liblzma.so.5"))
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", help="meson build directory")
    ap.add_argument("--quick", action="store_true", help="N = 8 and 64 only")
    ap.add_argument("-n", type=int, action="append", help="CPUs (repeatable; default 8 64 400)")
    ap.add_argument("--models", default="6.1,6.5-xz", help=f"comma list of {', '.join(VARIANTS)}")
    ap.add_argument("--stock", default="/usr/bin/kmod", help="stock kmod binary run as modprobe")
    ap.add_argument("--root34", help="Debian 13 root for kmod 34.2 (default: testsuite/fixtures/debian13-root.sh)")
    ap.add_argument("--no-kmod34", action="store_true", help="leave Debian 13's kmod 34.2 out")
    ap.add_argument("--time-scale", default="auto",
                    help="stretch simulated kernel times and kmodx's bounds by this factor "
                         "(default auto: N / cores, at least 1)")
    ap.add_argument("--time-limit", type=int, default=900, help="seconds per storm (default 900)")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    sim = os.path.join(build, "testsuite", "simkernel")
    fixtures = os.path.join(build, "testsuite", "fixtures")
    ctx = {
        "simrun": os.path.join(sim, "simrun"),
        "report": os.path.join(sim, "simkernel-report"),
        "launch": os.path.join(build, "bench", "storm_launch"),
        "trees": {"root": os.path.join(fixtures, "root"), "root-xz": os.path.join(fixtures, "root-xz")},
    }
    variants = []
    for v in args.models.split(","):
        if v not in VARIANTS:
            sys.exit(f"storm: unknown model '{v}' (one of {', '.join(VARIANTS)})")
        variants.append(dict(VARIANTS[v], name=v))
    needed = [ctx["simrun"], ctx["report"], ctx["launch"], os.path.join(sim, "libsimkernel.so"),
              os.path.join(build, "tools", "modprobe"), args.stock]
    needed += [ctx["trees"][v["tree"]] for v in variants]
    for p in needed:
        if not os.path.exists(p):
            sys.exit(f"storm: missing {p} (build first: ninja -C {args.build} bench/storm_launch "
                     "tools/modprobe testsuite/fixtures/root.stamp testsuite/fixtures/root-xz.stamp)")
    ns = args.n or ([8, 64] if args.quick else [8, 64, 400])
    # kmodx's knobs (KMODX_LOCK_WAIT_MS, KMODX_FAIL_WINDOW_S, ...) reach the requests unchanged.
    kmodx_env = {k: v for k, v in os.environ.items() if k.startswith("KMODX_")}

    present = module_names(ctx["trees"]["root"])
    names = [m for m in SEED_MODULES + STORAGE_MODULES if m in present]
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testsuite",
                           "fixtures", "cpu-modalias.txt"), encoding="utf-8") as f:
        modalias = f.read().strip()
    requests = [["-q", "--", m] for m in names] + [["-b", modalias]]

    with tempfile.TemporaryDirectory(prefix="kmodx-storm.") as tmp:
        bindir = os.path.join(tmp, "stock")
        os.mkdir(bindir)
        os.symlink(args.stock, os.path.join(bindir, "modprobe"))
        ctx.update(tmp=tmp, time_scale=args.time_scale, time_limit=args.time_limit, tools={"kmod": os.path.join(bindir, "modprobe"),
                                   "kmodx": os.path.join(build, "tools", "modprobe")},
                   env=dict({"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/", "LANG": "C.UTF-8"},
                            **kmodx_env))
        if not args.no_kmod34 and not shutil.which("patchelf"):
            print("kmod34 left out: patchelf is not installed (apt-get install patchelf)")
        elif not args.no_kmod34:
            root34 = args.root34 or subprocess.run([os.path.join(FIXTURES, "debian13-root.sh")], capture_output=True,
                                                   text=True, check=True).stdout.strip()
            ctx["tools"]["kmod34"] = kmod34_as_modprobe(root34, tmp)
            ctx["env"]["LD_LIBRARY_PATH"] = lzma_dir(root34, tmp)
        print(f"boot storm, {datetime.date.today()}, {os.cpu_count()} cores: per CPU "
              f"{len(names)} x `modprobe -q -- NAME` + `modprobe -b <cpu modalias>`; "
              + ", ".join(f"{k}={v}ns" for k, v in COSTS.items())
              + f" x time scale {args.time_scale}"
              + ", " + ", ".join(f"fail.{m}={e}" for m, e in FAILING.items())
              + "".join(f", {k}={v}" for k, v in sorted(kmodx_env.items()))
              + f"; kmodx {source_version()}", flush=True)
        missing = [m for m in SEED_MODULES + STORAGE_MODULES if m not in present]
        if missing:
            print(f"not in the fixture tree (left out): {' '.join(missing)}")
        results = {}
        for v in variants:
            for i, n in enumerate(ns):
                r = {}
                # Alternate which tool goes first so neither always gets the warmer caches.
                order = [t for t in ("kmod", "kmod34", "kmodx") if t in ctx["tools"]]
                for tool in order[i % len(order):] + order[:i % len(order)]:
                    r[tool] = run_storm(ctx, v, n, tool, requests)
                    x = r[tool]
                    print(f"  {v['name']} N={n} {tool}: wall {x['wall_s']:.2f} s, CPU {x['cpu_s']:.2f} s, "
                          f"{x['load_calls']} load syscalls, {x['eexist']} EEXIST, {x['ebusy']} EBUSY, "
                          f"{x['loaded']} loaded, wasted {x['wasted'] / 1e6:.1f} MB, "
                          f"peak {x['peak'] / 1e6:.1f} MB", file=sys.stderr, flush=True)
                results[(v["name"], n)] = r
    print_tables(results, args.markdown)
    print()
    return 0 if check_goals(results) else 1


if __name__ == "__main__":
    sys.exit(main())
