#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/stats_report.py BUILD [--records N] [--runs R]

Report time of `modprobe --stats` (text, json, prometheus) over one boot's
store of N records (default 100,000; goal < 300 ms), written through the
store's own append by BUILD/testsuite/stats/stats-gen (a boot-like mix of
modules, outcomes, requesters and formats). The store is sized so nothing is
compacted: every record is read, decoded and aggregated. Prints, per format,
the median and worst wall time of R runs and the median CPU time (user + sys
of the process, from wait4): on a machine shared with other builds the wall
time mostly measures waiting for a core, the CPU time what the report costs.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main(argv):
    args = argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    build = os.path.abspath(args[0])
    records, runs = 100_000, 7
    rest = args[1:]
    while rest:
        a = rest.pop(0)
        if a == "--records" and rest:
            records = int(rest.pop(0))
        elif a == "--runs" and rest:
            runs = int(rest.pop(0))
        else:
            print(f"stats_report.py: unknown argument '{a}'", file=sys.stderr)
            return 2
    kmodx = os.path.join(build, "tools", "kmodx")
    gen = os.path.join(build, "testsuite", "stats", "stats-gen")
    for f in (kmodx, gen):
        if not os.access(f, os.X_OK):
            print(f"stats_report.py: {f} not built (ninja -C {build})", file=sys.stderr)
            return 2

    tmp = tempfile.mkdtemp(prefix="kmodx-bench-stats.")
    try:
        os.symlink(kmodx, os.path.join(tmp, "modprobe"))
        env = dict(os.environ, KMODX_RUNTIME_DIR=os.path.join(tmp, "run"),
                   KMODX_STATE_DIR=os.path.join(tmp, "state"), KMODX_STATS_MAX_BYTES="1G")
        t0 = time.perf_counter()
        subprocess.run([gen, "--random", str(records)], env=env, check=True)
        gen_s = time.perf_counter() - t0
        store_bytes = sum(os.path.getsize(os.path.join(d, f))
                          for d, _, files in os.walk(os.path.join(tmp, "run")) for f in files)
        print(f"store: {records} records, {store_bytes / 1e6:.1f} MB (written in {gen_s:.2f} s)")

        # The report must have read them all, not a compacted remainder.
        out = subprocess.run([os.path.join(tmp, "modprobe"), "--stats"], env=env, check=True,
                             capture_output=True, text=True).stdout
        got = next((l.split()[-1] for l in out.splitlines() if l.strip().startswith("Records\t")), None)
        if got != str(records):
            print(f"stats_report.py: the report read {got} records, expected {records}", file=sys.stderr)
            return 1

        worst_wall = worst_cpu = 0.0
        for fmt in ("text", "json", "prometheus"):
            walls, cpus = [], []
            for _ in range(runs):
                t0 = time.perf_counter()
                p = subprocess.Popen([os.path.join(tmp, "modprobe"), f"--stats={fmt}"], env=env,
                                     stdout=subprocess.DEVNULL)
                _, status, ru = os.wait4(p.pid, 0)
                walls.append((time.perf_counter() - t0) * 1000)
                p.returncode = os.waitstatus_to_exitcode(status)
                if p.returncode != 0:
                    print(f"stats_report.py: --stats={fmt} exited {p.returncode}", file=sys.stderr)
                    return 1
                cpus.append((ru.ru_utime + ru.ru_stime) * 1000)
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            worst_wall, worst_cpu = max(worst_wall, wall), max(worst_cpu, cpu)
            print(f"modprobe --stats={fmt:<10} wall median {wall:7.1f} ms (worst {max(walls):7.1f})"
                  f"   cpu median {cpu:7.1f} ms   ({runs} runs)")
        load = os.getloadavg()[0]
        print(f"report time over {records} records: wall {worst_wall:.1f} ms, cpu {worst_cpu:.1f} ms "
              f"(goal < 300 ms: wall {'met' if worst_wall < 300 else 'MISSED'}, "
              f"cpu {'met' if worst_cpu < 300 else 'MISSED'}; load average {load:.1f})")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
