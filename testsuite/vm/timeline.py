#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""timeline.py RESULTS...: one storm boot's loads in time order, from the
result lines run.sh keeps (OUTDIR/NAME.txt or .results).

For every module the kernel formed: when its finit_module() entered, when the
module was formed (module_load) and when the call returned, in ms after the
storm's release (storm_release_mono_ms; the trace runs on the mono clock);
then the gap between a load's return and the next load's entry by the same
process ("handoff": how long a request that loads a chain of modules, or
waited for the previous one, takes to start the next), and the requests'
finish times (p10, p50, p90, last). Failed loads that formed nothing are
listed with their return value.
"""
import re
import sys

LINE = re.compile(r"^KMODX-TRACE (.*?)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): (.*)")


def report(path):
    release, finish, events = None, [], []
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("KMODX-RESULT storm_release_mono_ms="):
            release = float(line.split("=", 1)[1])
        elif line.startswith("KMODX-RESULT storm_finish_ms="):
            finish = sorted(float(x) for x in line.split("=", 1)[1].split(",") if x and float(x) >= 0)
        else:
            m = LINE.match(line)
            if m:
                events.append((float(m.group(3)) * 1000, m.group(2), m.group(4)))
    if release is None:
        print(f"{path}: no storm_release_mono_ms (a boot from before the timeline, or no storm)")
        return
    events.sort()
    open_calls, loads = {}, []
    for t, pid, what in events:
        t -= release
        if what.startswith("sys_finit_module("):
            open_calls[pid] = {"enter": t, "pid": pid}
        elif what.startswith("module_load:") and pid in open_calls:
            open_calls[pid]["name"], open_calls[pid]["formed"] = what.split()[1], t
        elif what.startswith("sys_finit_module ->") and pid in open_calls:
            call = open_calls.pop(pid)
            call["exit"], call["ret"] = t, what.split()[-1]
            # A duplicate the kernel merged or refused formed nothing: only
            # the loads that formed a module, or failed on their own, count.
            if "name" in call or call["ret"] not in ("0xffffffffffffffef", "0x0"):
                loads.append(call)
    print(path)
    print(f"  {'module':<22}{'enter':>8}{'formed':>8}{'return':>8}  {'handoff':>8}  return value")
    last_exit = {}
    for c in sorted(loads, key=lambda c: c["enter"]):
        prev = last_exit.get(c["pid"])
        handoff = f"{c['enter'] - prev:8.0f}" if prev is not None else f"{'':>8}"
        formed = f"{c['formed']:8.0f}" if "formed" in c else f"{'-':>8}"
        print(f"  {c.get('name', '?'):<22}{c['enter']:8.0f}{formed}{c['exit']:8.0f}  {handoff}  {c['ret']}")
        last_exit[c["pid"]] = c["exit"]
    if finish:
        q = lambda p: finish[min(len(finish) - 1, int(len(finish) * p))]
        print(f"  requests finished (ms): p10 {q(0.1):.0f}, p50 {q(0.5):.0f}, p90 {q(0.9):.0f}, last {finish[-1]:.0f}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for p in sys.argv[1:]:
        report(p)
