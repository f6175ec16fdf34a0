#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault-injection stress campaign for kmodx's modprobe, run in the simulated kernel.

    stress.py [--build DIR] [--scenario NAME,...] [--seeds N | --seeds A-B] [--procs N]
              [--summary FILE] [--keep] [-v]

Each scenario runs once per seed; the seed picks the modules, timings, kill points and errnos,
so a failure is replayed with `--scenario NAME --seeds S-S`. Scenarios (docs/reliability.md):
errno, slow_hang, kill, full_rundir, eintr. Exit 0 all passed, 1 any failed, 77 all skipped.
Paths come from the meson test environment (KMODX_BUILD, FIXTURE_ROOT, SIMRUN, SIMKERNEL_LIB)
or from --build.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "stats"))
import record  # noqa: E402 (the store's record, testsuite/stats/record.py)

KVER = "6.1.0-sim"
BOOT_ID = "5e5e5e5e-7777-4c2a-9c3e-5a6b7c8d9e0f"
# Modules that stock kmod and kmodx treat identically in every way these tests look at: not the
# softdep loop, not the module built for another kernel.
EXCLUDE = {"bad_vermagic", "softdep_loop_a", "softdep_loop_b", "softdep_main", "softdep_pre",
           "softdep_post"}
# Errnos a failure window reuses (docs/dedup.md) and failures of the moment
# or of the caller (EPERM, EACCES: no CAP_SYS_MODULE) it never reuses.
REUSED = ["ENODEV", "ENXIO", "EOPNOTSUPP", "ENOEXEC", "EKEYREJECTED", "EINVAL", "EIO"]
MOMENT = ["EBUSY", "ENOMEM", "EAGAIN", "EPERM", "EACCES"]
SLACK_S = float(os.environ.get("STRESS_SLACK_S", "20"))  # a shared, loaded 2-core machine


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class Env:
    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.fixture = os.environ.get("FIXTURE_ROOT") or os.path.join(self.build, "testsuite/fixtures/root")
        self.simrun = os.environ.get("SIMRUN") or os.path.join(self.build, "testsuite/simkernel/simrun")
        self.lib = os.environ.get("SIMKERNEL_LIB") or os.path.join(self.build, "testsuite/simkernel/libsimkernel.so")
        self.modprobe = os.path.join(self.build, "tools/modprobe")
        self.stock = os.environ.get("STOCK_KMOD", "/usr/bin/kmod")
        self.tmp = tempfile.mkdtemp(prefix="kmodx-stress.")
        os.makedirs(os.path.join(self.tmp, "stock"))
        os.symlink(self.stock, os.path.join(self.tmp, "stock/modprobe"))
        self.deps = self._read_deps()
        self.last_root = None

    def _read_deps(self):
        deps = {}
        self.paths = {}
        with open(os.path.join(self.fixture, "lib/modules", KVER, "modules.dep")) as f:
            for line in f:
                if ":" not in line:
                    continue
                path, rest = line.split(":", 1)
                deps[modname(path)] = [modname(p) for p in rest.split()]
                self.paths[modname(path)] = os.path.basename(path)
        return deps

    def softdep_targets(self):
        """Modules some module's softdep loads (names or aliases resolved): not in modules.dep."""
        kdir = os.path.join(self.fixture, "lib/modules", KVER)
        words, out = set(), set()
        for l in open(os.path.join(kdir, "modules.softdep")):
            w = l.split()
            if w and w[0] == "softdep":
                words.update(x for x in w[2:] if not x.endswith(":"))
        for l in open(os.path.join(kdir, "modules.alias")):
            w = l.split()
            if len(w) == 3 and w[1] in words:
                out.add(w[2])
        return out | {x.replace("-", "_") for x in words}

    def pool(self):
        return sorted(m for m in self.deps if m not in EXCLUDE)

    def closure(self, m):
        return [m] + self.deps.get(m, [])

    def new_root(self, config="", boot_id=True, track=True):
        r = tempfile.mkdtemp(dir=self.tmp, prefix="root.")
        if track:  # the machine a failed seed keeps (--keep)
            self.last_root = r
        for e in os.listdir(self.fixture):
            if e != "lib":
                subprocess.run(["cp", "-a", os.path.join(self.fixture, e), r], check=True)
        os.makedirs(os.path.join(r, "lib"))
        subprocess.run(["cp", "-al", os.path.join(self.fixture, "lib/modules"), os.path.join(r, "lib/modules")],
                       check=True)
        kdir = os.path.join(r, "lib/modules", KVER)
        for e in os.listdir(kdir):  # depmod's indexes are rewritten by some tools: real copies
            p = os.path.join(kdir, e)
            if e.startswith("modules.") and os.path.isfile(p):
                shutil.copyfile(p, p + ".tmp")
                os.replace(p + ".tmp", p)
        os.makedirs(os.path.join(r, ".simkernel"))
        os.makedirs(os.path.join(r, "run"))
        if boot_id:
            os.makedirs(os.path.join(r, "proc/sys/kernel/random"), exist_ok=True)
            with open(os.path.join(r, "proc/sys/kernel/random/boot_id"), "w") as f:
                f.write(BOOT_ID + "\n")
        with open(os.path.join(r, ".simkernel/config"), "w") as f:
            f.write(config)
        return r

    def env(self, extra=None):
        e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/", "LANG": "C.UTF-8",
             "SIMKERNEL_LIB": self.lib}
        e.update(extra or {})
        return e

    def cmd(self, root, args, stock=False):
        tool = os.path.join(self.tmp, "stock/modprobe") if stock else self.modprobe
        return [self.simrun, root, tool] + list(args)

    def run(self, root, args, stock=False, extra=None, timeout=60):
        p = subprocess.run(self.cmd(root, args, stock), env=self.env(extra), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, errors="replace", timeout=timeout)
        return p.returncode, p.stdout, p.stderr


def modname(path):
    b = os.path.basename(path.strip())
    b = re.sub(r"\.ko(\.(xz|zst|gz))?$", "", b)
    return b.replace("-", "_")


class Storm:
    """Processes started together; each one's exit status, output and wall time."""

    def __init__(self, env, root, workdir):
        self.env, self.root, self.dir = env, root, workdir
        os.makedirs(workdir, exist_ok=True)
        self.procs = {}  # pid -> dict

    def start(self, tag, args, extra=None, stock=False):
        out = open(os.path.join(self.dir, f"{tag}.out"), "w+")
        err = open(os.path.join(self.dir, f"{tag}.err"), "w+")
        p = subprocess.Popen(self.env.cmd(self.root, args, stock), env=self.env.env(extra),
                             stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        rec = {"tag": tag, "args": args, "popen": p, "t0": time.monotonic(), "rc": None, "t": None,
               "out": out, "err": err, "killed": False}
        self.procs[p.pid] = rec
        return rec

    def reap(self, deadline=None, only=None):
        """Waits until every process (or those in ONLY) ended or DEADLINE passed; True if all did."""
        want = only if only is not None else list(self.procs.values())
        while any(r["rc"] is None for r in want):
            progressed = False
            for r in want:
                if r["rc"] is None and r["popen"].poll() is not None:
                    r["rc"], r["t"] = r["popen"].returncode, time.monotonic() - r["t0"]
                    progressed = True
            if deadline is not None and time.monotonic() > deadline:
                return all(r["rc"] is not None for r in want)
            if not progressed:
                time.sleep(0.005)
        return True

    def kill_all(self):
        for r in self.procs.values():
            if r["rc"] is None:
                try:
                    r["popen"].kill()
                except ProcessLookupError:
                    pass
        self.reap()

    def text(self, r, what):
        f = r[what]
        f.flush()
        f.seek(0)
        return f.read()

    # kmodx's -v notes (who it waited for) share stderr with kmod's messages,
    # as "modprobe: NOTICE: ..." lines; kmod's own part is compared apart.
    def kmod_err(self, r):
        return "".join(l for l in self.text(r, "err").splitlines(True) if not l.startswith("modprobe: NOTICE: "))

    def notes(self, r):
        return "".join(l for l in self.text(r, "err").splitlines(True) if l.startswith("modprobe: NOTICE: "))

    def close(self):
        for r in self.procs.values():
            r["out"].close()
            r["err"].close()


# ---- what the simulated kernel and the store say --------------------------------------------

def calls(root):
    """Load calls per module: {name: {"n": all, "ok": successes, errno: count, ...}}."""
    res = {}
    try:
        with open(os.path.join(root, ".simkernel/calls.log")) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return res
    for l in lines:
        f = l.split("\t")
        if len(f) < 6 or f[2] not in ("finit_module", "init_module"):
            continue
        d = res.setdefault(f[3], {"n": 0, "ok": 0})
        d["n"] += 1
        if f[4] == "0":
            d["ok"] += 1
        else:
            d[f[5]] = d.get(f[5], 0) + 1
    return res


def proc_modules(root):
    """{name: state} from ROOT/proc/modules; a name twice is an error."""
    mods = {}
    with open(os.path.join(root, "proc/modules")) as f:
        for l in f:
            w = l.split()
            if not w:
                continue
            check(w[0] not in mods, f"{w[0]} twice in /proc/modules")
            mods[w[0]] = w[4]
    return mods


def store_records(root):
    """(records by pid, lines that hold no whole record) of this boot's store file, read with the
    test suite's one definition of the record (testsuite/stats/record.py); (None, 0) without one."""
    recs, bad = record.read_store(os.path.join(root, "run/kmodx/stats", BOOT_ID + ".events"))
    if recs is None:
        return None, 0
    by_pid = {}
    for f in recs:
        by_pid.setdefault(int(f["pid"]), []).append({
            "module": f["module"], "outcome": f["outcome"], "err": f["err"], "degraded": f["degraded"],
            "reason": f["degraded_reason"], "count": int(f["count"] or 1),
            "sizes": (f["format"], f["file_bytes"], f["image_bytes"], f["kernel_alloc_bytes"],
                      f["kernel_read_bytes"])})
    return by_pid, bad


def stats_json(env, root):
    rc, out, err = env.run(root, ["--stats=json"], extra={"KMODX_STATS": "no"})
    check(rc == 0, f"modprobe --stats=json exited {rc}: {err.strip()}")
    try:
        return json.loads(out)
    except ValueError as e:
        raise Fail(f"--stats=json is not JSON ({e}): {out[:200]}")


def holds_open(pid, basename):
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}").endswith("/" + basename):
                    return True
            except OSError:
                pass
    except OSError:
        pass
    return False


def faults(root):
    counts = {}
    try:
        for l in open(os.path.join(root, ".simkernel/faults.log")):
            k = l.split()[1]
            counts[k] = counts.get(k, 0) + 1
    except (FileNotFoundError, IndexError):
        pass
    return counts


def stock_expectations(env, config, modules, args=()):
    """Exit status and stderr of Debian's kmod for each module, one after the other in a machine
    with the same faults (timings left out: they change nothing kmod prints)."""
    cfg = "\n".join(l for l in config.splitlines() if not l.startswith(("load_ns", "read_ns", "hang.")))
    root = env.new_root(cfg + "\n", track=False)
    exp = {}
    for m in modules:
        rc, out, err = env.run(root, list(args) + [m], stock=True)
        exp[m] = (rc, err)
    live = {m for m, s in proc_modules(root).items() if s == "Live"}
    shutil.rmtree(root, ignore_errors=True)
    return exp, live


def diag(root, storm, r, modules):
    """What a failed request saw: its output, the kernel's calls and the lock records."""
    lines = [f"--- {r['tag']} pid {r['popen'].pid} rc {r['rc']} args {r['args']}",
             "stdout: " + storm.text(r, "out").strip().replace("\n", " | "),
             "stderr: " + storm.text(r, "err").strip().replace("\n", " | ")]
    try:
        for l in open(os.path.join(root, ".simkernel/calls.log")):
            f = l.split("\t")
            if len(f) > 5 and f[3] in modules:
                lines.append("call: " + " ".join(f[1:6] + f[12:13]).strip())
    except OSError:
        pass
    for m in modules:
        try:
            lines.append(f"lock {m}: " + open(os.path.join(root, "run/kmodx/locks", m)).read().replace("\n", "; "))
        except OSError:
            pass
    by_pid, _ = store_records(root)
    for e in (by_pid or {}).get(r["popen"].pid, []):
        lines.append(f"record: {e['module']} {e['outcome']} err {e['err']}")
    return "\n".join(lines)


def check_store(env, root, storm, killed_pids=(), must_have_target=True):
    """No record lost: every process that exited has its events in the store, one for its target
    when it reached it; lines that do not read back are only allowed for killed writers and are
    reported by --stats as skipped or torn, never dropped silently."""
    by_pid, bad = store_records(root)
    check(by_pid is not None, "no stats store")
    js = stats_json(env, root)
    boot = js.get("boot", {})
    skipped = int(boot.get("skipped", 0) or 0) + (1 if boot.get("torn_tail") else 0)
    check(bad <= len(killed_pids), f"{bad} unreadable store lines, {len(killed_pids)} killed writers")
    check(skipped == bad, f"--stats reports {skipped} skipped/torn, the file has {bad} bad lines")
    events = 0
    for r in storm.procs.values():
        if r["killed"]:
            continue
        pid = r["popen"].pid
        recs = by_pid.get(pid, [])
        check(recs, f"{r['tag']} (pid {pid}) has no record in the store")
        target = r["args"][-1]
        if must_have_target and r["rc"] == 0:
            n = sum(1 for e in recs if e["module"] == target)
            check(n == 1, f"{r['tag']}: {n} records for its target {target}\n"
                  + diag(root, storm, r, env.closure(target)))
        events += len(recs)
    total = sum(e["count"] for recs in by_pid.values() for e in recs)
    check(int(boot.get("events", total)) == total, f"--stats counts {boot.get('events')} events, the file {total}")
    return {"events": total, "skipped": skipped}


# ---- scenarios -------------------------------------------------------------------------------

def pick_requests(rng, pool, n, k):
    mods = rng.sample(pool, k)
    reqs = [rng.choice(mods) for _ in range(n)]
    return sorted(set(reqs)), reqs


def scenario_errno(env, seed, procs, wd):
    """A storm over random modules, some failing with a seed-chosen errno (in init or before
    allocation): kmod's exit status and message for every requester, one load per module and
    failure window (several only for failures of the moment), no record lost."""
    rng = random.Random(seed)
    pool = env.pool()
    n = procs or rng.randint(16, 32)
    mods, reqs = pick_requests(rng, pool, n, rng.randint(3, 8))
    closure = sorted({d for m in mods for d in env.closure(m)})
    cfg = [f"load_ns_base={rng.randint(2, 40)}ms", f"load_ns_per_kib={rng.randint(0, 20)}us"]
    faulty = {}
    for m in rng.sample(closure, rng.randint(1, max(1, len(closure) // 2))):
        e = rng.choice(MOMENT) if rng.random() < 0.2 else rng.choice(REUSED)
        key = rng.choice(["fail", "early_fail"])
        faulty[m] = e
        cfg.append(f"{key}.{m}={e}")
    config = "\n".join(cfg) + "\n"
    exp, live = stock_expectations(env, config, sorted(set(reqs)))
    root = env.new_root(config)
    st = Storm(env, root, wd)
    for i, m in enumerate(reqs):
        st.start(f"p{i}", ["-v", m])  # -v: kmodx's notes say what happened; kmod's part of stderr as without it
    bound = time.monotonic() + 30 + SLACK_S
    try:
        check(st.reap(bound), "requesters still running past the bound")
        for r in st.procs.values():
            m = r["args"][-1]
            erc, eerr = exp[m]
            check(r["rc"] == erc, f"{r['tag']} modprobe {m}: exit {r['rc']}, kmod {erc}\n" + diag(root, st, r, env.closure(m)))
            check(st.kmod_err(r) == eerr, f"{r['tag']} modprobe {m}: stderr {st.kmod_err(r)!r}, kmod {eerr!r}")
        c = calls(root)
        for m in closure:
            n_calls = c.get(m, {}).get("n", 0)
            if faulty.get(m) in MOMENT:
                check(n_calls <= n, f"{m}: {n_calls} load calls for {n} requests")
            else:
                check(n_calls <= 1, f"{m} ({faulty.get(m, 'ok')}): {n_calls} load calls in one failure window")
        got = {m for m, s in proc_modules(root).items() if s == "Live"}
        check(got == live, f"live modules {sorted(got)}, kmod leaves {sorted(live)}")
        s = check_store(env, root, st)
    finally:
        st.kill_all()
        st.close()
    return {"procs": n, "detail": f"{len(faulty)} faulty, {s['events']} events"}, root


def scenario_slow_hang(env, seed, procs, wd):
    """Slow loads everywhere and one init that does not return until released (hang.H) with a
    short lock_wait_ms: the others finish within the bound; H's waiters outlast the bound while H
    is coming (its holder is in the kernel) without a load syscall of their own; after its release
    everyone ends 0, each waiter says why it waited past the bound, H has one load call and a
    later request finds it live without a syscall."""
    rng = random.Random(seed)
    pool = env.pool()
    dependents = {d for m in pool for d in env.deps[m]}
    # Not one a softdep loads (libcrc32c and btrfs pull crc32c_intel in): its hang would hold
    # up requests of other modules, which are meant to be unaffected.
    leaves = [m for m in pool if m not in dependents and m not in env.softdep_targets()]
    hung = rng.choice(leaves)
    others = [m for m in pool if hung not in env.closure(m)]
    n = procs or rng.randint(12, 24)
    mods, reqs = pick_requests(rng, others, n, rng.randint(3, 7))
    nh = rng.randint(2, 5)
    # The bound well above one load (at most about 140 ms here), as it is in real use; a legitimate
    # holder slower than it (a loaded machine) is allowed for below, as docs/dedup.md describes.
    wait_ms = rng.randint(500, 1200)
    cfg = (f"load_ns_base={rng.randint(20, 100)}ms\nload_ns_per_kib={rng.randint(0, 20)}us\n"
           f"read_ns_per_kib={rng.randint(0, 2000)}ns\nhang.{hung}=1\n")
    root = env.new_root(cfg)
    extra = {}
    if rng.random() < 0.5:
        extra["KMODX_LOCK_WAIT_MS"] = str(wait_ms)
        how = "env"
    else:
        os.makedirs(os.path.join(root, "etc"), exist_ok=True)
        with open(os.path.join(root, "etc/kmodx.conf"), "w") as f:
            f.write(f"# stress seed {seed}\nlock_wait_ms = {wait_ms}\n")
        how = "kmodx.conf"
    st = Storm(env, root, wd)
    try:
        hreqs = []
        hreqs.append(st.start("h0", ["-v", hung], extra))
        # The holder first, into its init; then the waiters and the rest of the storm.
        t = time.monotonic() + 10 + SLACK_S
        while not os.path.exists(os.path.join(root, "sys/module", hung)):
            check(time.monotonic() < t, f"{hung}'s holder never reached the kernel")
            time.sleep(0.01)
        for i in range(1, nh):
            hreqs.append(st.start(f"h{i}", ["-v", hung], extra))
        rest = [st.start(f"p{i}", ["-v", m], extra) for i, m in enumerate(reqs)]
        depth = max(len(env.closure(m)) for m in mods)
        bound = wait_ms / 1000 + depth * 0.2 + SLACK_S
        check(st.reap(time.monotonic() + bound, rest), f"requesters of other modules still running after {bound:.1f}s")
        for r in rest:
            check(r["rc"] == 0, f"{r['tag']} modprobe {r['args'][-1]}: exit {r['rc']}: {st.text(r, 'err')}")
        # H's holder is in the kernel (H is coming), so its waiters wait on past the bound
        # instead of loading a duplicate the kernel would only make wait there as well.
        check(st.reap(time.monotonic() + wait_ms / 1000 + 0.5, hreqs) is False, f"{hung} requesters ended while its init hangs")
        state = open(os.path.join(root, "sys/module", hung, "initstate")).read().strip()
        check(state == "coming", f"hung {hung} is {state}")
        deadline = time.monotonic() + 10 + SLACK_S
        while not all(holds_open(r["popen"].pid, hung) for r in hreqs[1:]):
            check(time.monotonic() < deadline, f"{hung}'s waiters never opened its lock file")
            time.sleep(0.02)
        time.sleep(wait_ms / 1000 + 1.5)
        for r in hreqs[1:]:
            check(r["popen"].poll() is None, f"{r['tag']}: stopped waiting for {hung}: {st.text(r, 'out')!r}")
            # The module file is opened only to load it: none of them went on to the kernel.
            check(not holds_open(r["popen"].pid, env.paths[hung]), f"{r['tag']}: went on to load {hung} past the bound")
        open(os.path.join(root, ".simkernel", "release." + hung), "w").close()
        check(st.reap(time.monotonic() + 10 + SLACK_S, hreqs), f"{hung} requesters still running after its release")
        for r in hreqs:
            check(r["rc"] == 0, f"{r['tag']} modprobe {hung}: exit {r['rc']}: {st.text(r, 'err')}")
        for r in hreqs[1:]:
            notes = st.notes(r)
            check(f"modprobe: NOTICE: {hung} was still loading in the kernel when the wait bound passed" in notes
                  and "still locked after" not in notes, f"{r['tag']}: {notes!r} (bound {wait_ms} ms)")
        c = calls(root)
        late = 0
        h = c.get(hung, {})
        check(h.get("ok") == 1 and h.get("n") == 1, f"{hung}: load calls {h}, expected 1 success and nothing else")
        # A holder slower than the bound makes its waiters load without the lock, each answered
        # EEXIST by the kernel: allowed exactly as often as a waiter says so.
        for m in {d for m in mods for d in env.closure(m)}:
            past = sum(len(re.findall(rf"^modprobe: NOTICE: {m} still locked after (\d+) ms", st.notes(r), re.M)) for r in rest)
            d = c.get(m, {"n": 0, "ok": 0})
            check(d["ok"] == 1 and d["n"] == 1 + past and d.get("EEXIST", 0) == past,
                  f"{m}: load calls {d}, {past} waiters past the bound")
            late += past
        rc, out, err = env.run(root, ["-v", hung], extra=extra)
        check(rc == 0 and out == "" and err == "", f"later modprobe -v {hung}: {rc} {out!r} {err!r}")
        check(calls(root)[hung]["n"] == 1, f"the later request for {hung} made a load call")
        s = check_store(env, root, st)
    finally:
        open(os.path.join(root, ".simkernel", "release." + hung), "w").close()
        st.kill_all()
        st.close()
    return {"procs": n + nh + 1, "detail": f"hang {hung}, lock_wait_ms {wait_ms} ({how}), {late} slow holders "
                                          f"outwaited, {s['events']} events"}, root


def scenario_kill(env, seed, procs, wd):
    """A storm with SIGKILLs at random points (before, during and after the holders' syscalls):
    every other requester ends 0 in its bound, every module is live once, with one successful load
    call and an extra (EEXIST) one only where a killed process had it in its plan; the store reads
    back with unreadable lines only from killed writers."""
    rng = random.Random(seed)
    pool = env.pool()
    n = procs or 64
    mods, reqs = pick_requests(rng, pool, n, rng.randint(4, 12))
    cfg = f"load_ns_base={rng.randint(10, 80)}ms\nload_ns_per_kib={rng.randint(0, 30)}us\n"
    root = env.new_root(cfg)
    st = Storm(env, root, wd)
    victims = set(rng.sample(range(n), rng.randint(1, max(1, n // 6))))
    # Each victim dies at a random moment of its own life: early (before or while it waits for
    # a lock), in the middle, late. Besides, up to `in_syscall` holders are killed right when
    # their lock record says "err pending" (inside the load syscall). Nobody is reaped before
    # the last signal, so no pid is reused meanwhile.
    kill_after = {i: rng.choice([(0, 0.03), (0.03, 0.15), (0.15, 0.4)]) for i in victims}
    kill_after = {i: rng.uniform(*r) for i, r in kill_after.items()}
    in_syscall = rng.randint(0, 3)
    killed_plan = {}
    timers = []
    try:
        recs = []
        by_pid = {}
        stop = threading.Event()
        pending_kills = []

        def killer():
            seen = set()
            rundir = os.path.join(root, "run/kmodx/locks")
            while not stop.is_set() and len(pending_kills) < in_syscall:
                try:
                    names = os.listdir(rundir)
                except OSError:
                    names = []
                for nm in names:
                    try:
                        text = open(os.path.join(rundir, nm)).read()
                    except OSError:
                        continue
                    mo = re.search(r"^pid (\d+)\n(?:.*\n)*?err pending", text, re.M)
                    if mo and int(mo.group(1)) in by_pid and int(mo.group(1)) not in seen:
                        pid = int(mo.group(1))
                        seen.add(pid)
                        by_pid[pid]["killed"] = True
                        os.kill(pid, signal.SIGKILL)
                        pending_kills.append(pid)
                        break
                time.sleep(0.002)

        watcher = threading.Thread(target=killer)
        watcher.start()
        for i, m in enumerate(reqs):
            recs.append(st.start(f"p{i}", ["-v", m]))
            by_pid[recs[i]["popen"].pid] = recs[i]
            if i in victims:
                recs[i]["killed"] = True
                t = threading.Timer(kill_after[i], os.kill, (recs[i]["popen"].pid, signal.SIGKILL))
                t.start()
                timers.append(t)
        for t in timers:
            t.join()
        time.sleep(0.3)
        stop.set()
        watcher.join()
        for r in recs:
            if r["killed"]:
                for d in env.closure(r["args"][-1]):
                    killed_plan[d] = killed_plan.get(d, 0) + 1
        bound = 30 + n * 0.05 + SLACK_S
        check(st.reap(time.monotonic() + bound), f"requesters still running after {bound:.0f}s")
        nkilled = 0
        for r in recs:
            if r["killed"] and r["rc"] == -signal.SIGKILL:
                nkilled += 1
                continue
            r["killed"] = False  # it had finished before the signal came
            check(r["rc"] == 0 and st.kmod_err(r) == "", f"{r['tag']} modprobe {r['args'][-1]}: exit {r['rc']}\n"
                  + diag(root, st, r, env.closure(r["args"][-1])))
        # Modules only killed processes asked for may be left coming (nobody finished them).
        c = calls(root)
        live = proc_modules(root)
        wanted = {d for r in recs if not r["killed"] for d in env.closure(r["args"][-1])}
        eexist = 0
        for m in wanted:
            check(live.get(m) == "Live", f"{m} is {live.get(m)}")
        for m in {d for m in mods for d in env.closure(m)}:
            d = c.get(m, {"n": 0, "ok": 0})
            k = killed_plan.get(m, 0)
            check(d["ok"] <= 1, f"{m}: {d['ok']} successful load calls")
            others = d["n"] - d["ok"] - d.get("EEXIST", 0)
            check(others == 0, f"{m}: load calls failing otherwise than EEXIST: {d}")
            check(d["n"] <= 1 + k, f"{m}: {d['n']} load calls, {k} killed processes had it in their plan")
            if k == 0 and m in wanted:
                check(d["n"] == 1 and d["ok"] == 1, f"{m}: load calls {d} though no requester of it was killed")
            eexist += d.get("EEXIST", 0)
        killed = [r["popen"].pid for r in recs if r["killed"]]
        s = check_store(env, root, st, killed)
    finally:
        st.kill_all()
        st.close()
    return {"procs": n, "detail": f"{nkilled} killed ({len(pending_kills)} in their syscall), "
                                  f"{eexist} EEXIST after a dead holder, "
                                  f"{s['skipped']} skipped"}, root


def scenario_eintr(env, seed, procs, wd):
    """Blocking flock() interrupted (EINTR), module files read with EINTR and short counts: every
    requester ends 0, no waiter takes an EINTR for the lock bound, one load call per module."""
    rng = random.Random(seed)
    pool = env.pool()
    n = procs or rng.randint(16, 32)
    comp = [m for m in ("xz_mod", "zst_mod") if m in pool]
    mods = rng.sample(pool, rng.randint(2, 6)) + rng.sample(comp, rng.randint(1, len(comp)))
    reqs = [rng.choice(mods) for _ in range(n)]
    mods = sorted(set(reqs))
    cfg = (f"seed={seed}\nload_ns_base={rng.randint(20, 100)}ms\n"
           f"eintr.flock={rng.randint(20, 70)}\neintr.read={rng.randint(0, 30)}\nshort_read={rng.randint(20, 90)}\n")
    # Without the read faults: kmod 30 itself fails on an EINTR while it reads a compressed
    # module ("could not insert 'xz_mod': Interrupted system call"); what kmodx must match is
    # kmod's result on a machine that does not interrupt it.
    exp, live = stock_expectations(env, re.sub(r"(?m)^(eintr|short_read).*\n", "", cfg), sorted(set(reqs)))
    root = env.new_root(cfg)
    if rng.random() < 0.5:  # the kernel decompresses xz itself: kmodx passes the fd
        with open(os.path.join(root, "sys/module/compression"), "w") as f:
            f.write("xz\n")
    st = Storm(env, root, wd)
    try:
        for i, m in enumerate(reqs):
            st.start(f"p{i}", ["-v", m])
        check(st.reap(time.monotonic() + 30 + SLACK_S), "requesters still running past the bound")
        for r in st.procs.values():
            m = r["args"][-1]
            err, notes = st.kmod_err(r), st.notes(r)
            check(r["rc"] == 0 and exp[m][0] == 0, f"{r['tag']} modprobe {m}: exit {r['rc']} (kmod {exp[m][0]}): {err}")
            check(err == "", f"{r['tag']}: stderr {err!r}")
            check("still locked" not in notes, f"{r['tag']}: an EINTR taken for the lock bound: {notes!r}")
        c = calls(root)
        for m in {d for m in mods for d in env.closure(m)}:
            check(c.get(m, {}).get("n") == 1 and c[m]["ok"] == 1, f"{m}: load calls {c.get(m)}")
        got = {m for m, s in proc_modules(root).items() if s == "Live"}
        check(got == live, f"live modules {sorted(got)}, kmod leaves {sorted(live)}")
        s = check_store(env, root, st)
        # A suppressed request is charged from the file's own sizes (docs/stats.md): the same
        # figures whatever the reads of the file met on the way.
        by_pid, _ = store_records(root)
        sizes = {}
        for recs in by_pid.values():
            for e in recs:
                if e["outcome"] == "suppressed":
                    sizes.setdefault(e["module"], set()).add(e["sizes"])
        for m, v in sizes.items():
            check(len(v) == 1, f"{m}: suppressed events with different sizes (format, file, image, kalloc, kread): {sorted(v)}")
        f = faults(root)
    finally:
        st.kill_all()
        st.close()
    return {"procs": n, "detail": " ".join(f"{k}={v}" for k, v in sorted(f.items())) + f", {s['events']} events"}, root


def can_unshare():
    if os.geteuid() != 0:
        return "not root"
    p = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return None if p.returncode == 0 else "no mount namespace (unshare -m failed)"


def scenario_full_rundir(env, seed, procs, wd):
    """ENOSPC and EROFS under ROOT/run (a tiny tmpfs, a full one, a read-only bind mount) in a
    private mount namespace: every load succeeds exactly as with stock kmod; the stats say
    dropped or degraded where they can be written at all."""
    why = can_unshare()
    if why:
        return {"skip": why}, None
    rng = random.Random(seed)
    variant = rng.choice(["tiny_inodes", "full", "ro_bind", "ro_bind_empty", "tiny_size", "store_fills",
                          "ro_locks_rw_stats"])
    n = procs or rng.randint(8, 24)
    pool = env.pool()
    mods, reqs = pick_requests(rng, pool, n, rng.randint(2, 6))
    spare = [m for m in pool if len(env.closure(m)) == 1 and m not in {d for x in mods for d in env.closure(x)}]
    warm, extra_mod = rng.sample(spare, 2)
    # kmod's final state includes the extra request (and the warm-up of the variant that has one).
    stock_mods = sorted(set(reqs)) + [extra_mod] + ([warm] if variant == "store_fills" else [])
    exp, live = stock_expectations(env, "", stock_mods, ["-q"])
    root = env.new_root("load_ns_base=5ms\n")
    spec = {"root": root, "variant": variant, "reqs": reqs, "seed": seed, "inodes": rng.randint(2, 6),
            "warm": warm, "extra": extra_mod}
    os.makedirs(wd, exist_ok=True)
    with open(os.path.join(wd, "spec.json"), "w") as f:
        json.dump(spec, f)
    p = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, os.path.abspath(__file__),
                        "--build", env.build, "--inner-full", os.path.join(wd, "spec.json")],
                       capture_output=True, text=True, timeout=120 + SLACK_S * 2)
    if p.returncode != 0:
        raise Fail(f"{variant}: {p.stdout.strip()} {p.stderr.strip()[-2000:]}")
    res = json.loads(p.stdout)
    for i, m in enumerate(reqs):
        rc, err = res["results"][i]
        check(rc == exp[m][0] == 0, f"{variant}: modprobe -q {m}: exit {rc}, kmod {exp[m][0]}: {err}")
        check(err == exp[m][1], f"{variant}: modprobe -q {m}: stderr {err!r}, kmod {exp[m][1]!r}")
    got = {m for m, s in proc_modules(root).items() if s == "Live"}
    check(got == live, f"{variant}: live modules {sorted(got)}, kmod leaves {sorted(live)}")
    check(res["warn_ok"], f"{variant}: modprobe without -q: {res['warn']!r}")
    st = res["stats"]
    if variant in ("store_fills", "ro_locks_rw_stats"):  # a store that takes records or counts them
        check("error" not in st, f"{variant}: {st.get('error')}")
        check(st["lost"] == 0, f"{variant}: {st['lost']} processes' records neither stored nor counted dropped: {st}")
    if variant in ("store_fills", "ro_locks_rw_stats"):
        check(st["extra_recorded"], f"{variant}: the request after the disk had room again left no record: {st}")
    if variant == "ro_locks_rw_stats":
        check(st["undegraded"] == 0, f"{variant}: {st['undegraded']} records without the degraded mark: {st}")
    return {"procs": n + 1, "detail": f"{variant}: {res['stats']}"}, root


def fill(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError:
        pass
    os.close(fd)


def inner_full(env, spec_path):
    """Inside the private mount namespace (scenario_full_rundir)."""
    spec = json.load(open(spec_path))
    root, variant = spec["root"], spec["variant"]
    run = os.path.join(root, "run")

    def mount(*a):
        subprocess.run(["mount"] + list(a), check=True, capture_output=True)

    if variant == "tiny_inodes":  # a few inodes: some lock files, then ENOSPC on create
        mount("-t", "tmpfs", "-o", f"size=64k,nr_inodes={spec['inodes']},mode=755", "stress", run)
    elif variant == "tiny_size":  # one page: the runtime dir and a file or two
        mount("-t", "tmpfs", "-o", "size=4k,mode=755", "stress", run)
    elif variant == "full":  # the directories exist, not one byte left for a record
        mount("-t", "tmpfs", "-o", "size=64k,mode=755", "stress", run)
        os.makedirs(os.path.join(run, "kmodx/stats"))
        os.chmod(os.path.join(run, "kmodx"), 0o755)
        os.chmod(os.path.join(run, "kmodx/stats"), 0o755)
        fill(os.path.join(run, "filler"))
    elif variant == "store_fills":  # the store exists; then the file system fills up
        mount("-t", "tmpfs", "-o", "size=32k,mode=755", "stress", run)
        rc, _, err = env.run(root, ["-q", spec["warm"]])
        if rc != 0 or err:
            raise SystemExit(f"warm-up modprobe {spec['warm']}: {rc} {err}")
        fill(os.path.join(run, "filler"))
    elif variant == "ro_locks_rw_stats":  # no lock can be made, the store is writable
        os.makedirs(os.path.join(run, "kmodx/stats"), exist_ok=True)
        os.chmod(os.path.join(run, "kmodx"), 0o755)
        mount("--bind", run, run)
        mount("-o", "remount,bind,ro", run)
        mount("-t", "tmpfs", "-o", "size=1m,mode=755", "stress", os.path.join(run, "kmodx/stats"))
    elif variant in ("ro_bind", "ro_bind_empty"):
        if variant == "ro_bind":
            os.makedirs(os.path.join(run, "kmodx/stats"), exist_ok=True)
            os.chmod(os.path.join(run, "kmodx"), 0o755)
        mount("--bind", run, run)
        mount("-o", "remount,bind,ro", run)
    st = Storm(env, root, os.path.dirname(spec_path))
    recs = [st.start(f"p{i}", ["-q", m]) for i, m in enumerate(spec["reqs"])]
    st.reap(time.monotonic() + 60 + SLACK_S)
    st.kill_all()
    results = [[r["rc"], st.text(r, "err")] for r in recs]
    # One more without -q, of a module not loaded yet: kmod's silence, or one warning line saying
    # why there is no dedup (docs/dedup.md "Degraded cases").
    if variant == "store_fills":  # room again: the next record must read back
        os.unlink(os.path.join(run, "filler"))
    xr = st.start("extra", [spec["extra"]])
    st.reap(time.monotonic() + 30 + SLACK_S, [xr])
    rc, out, warn = xr["rc"], st.text(xr, "out"), st.text(xr, "err")
    warn_ok = rc == 0 and out == "" and (warn == "" or re.fullmatch(
        r"modprobe: WARNING: /run/kmodx[^:]*: [^:]*: loading (?:\S+ )?without dedup \([^)]*\)\n", warn) is not None)
    stats = {}
    try:
        js = stats_json(env, root)
        b = js.get("boot", {})
        stats = {k: b.get(k) for k in ("events", "dropped", "skipped")}
        by_pid, _ = store_records(root)
        by_pid = by_pid or {}
        missing = sum(1 for r in recs if r["popen"].pid not in by_pid)
        stats["lost"] = max(0, missing - int(b.get("dropped") or 0))
        # The already-live fast path takes no lock, so it is not degraded by a lock directory.
        stats["undegraded"] = sum(1 for r in recs for e in by_pid.get(r["popen"].pid, [])
                                  if e["degraded"] in ("", "0") and e["outcome"] != "already_live")
        stats["reasons"] = sorted({e["reason"] for v in by_pid.values() for e in v})
        stats["extra_recorded"] = xr["popen"].pid in by_pid
    except Fail as e:
        stats = {"error": str(e)}
    st.close()
    print(json.dumps({"results": results, "warn": warn, "warn_ok": warn_ok, "stats": stats}))


SCENARIOS = {
    "errno": scenario_errno,
    "slow_hang": scenario_slow_hang,
    "kill": scenario_kill,
    "full_rundir": scenario_full_rundir,
    "eintr": scenario_eintr,
}


def parse_seeds(s):
    if "-" in s:
        a, b = s.split("-", 1)
        return list(range(int(a), int(b) + 1))
    return list(range(1, int(s) + 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.environ.get("KMODX_BUILD", "build"))
    ap.add_argument("--scenario", default=",".join(SCENARIOS))
    ap.add_argument("--seeds", default="3")
    ap.add_argument("--procs", type=int, default=0, help="processes per storm (default: per scenario)")
    ap.add_argument("--kill-procs", type=int, default=0, help="processes per storm of the kill scenario")
    ap.add_argument("--table", action="store_true", help="print a Markdown table of the results at the end")
    ap.add_argument("--summary", help="append one JSON line per scenario to FILE")
    ap.add_argument("--keep", action="store_true", help="keep the machines of failed seeds")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--inner-full", help=argparse.SUPPRESS)
    a = ap.parse_args()
    env = Env(a.build)
    if a.inner_full:
        try:
            inner_full(env, a.inner_full)
        finally:
            shutil.rmtree(env.tmp, ignore_errors=True)
        return 0
    for p in (env.modprobe, env.simrun, env.lib, env.stock):
        if not os.path.exists(p):
            print(f"SKIP: {p} missing", file=sys.stderr)
            return 77
    names = a.scenario.split(",")
    for s in names:
        if s not in SCENARIOS:
            ap.error(f"unknown scenario '{s}' (known: {', '.join(SCENARIOS)})")
    seeds = parse_seeds(a.seeds)
    failed = ran = 0
    tallies = []
    try:
        for name in names:
            tally = {"scenario": name, "seeds": 0, "pass": 0, "fail": 0, "skip": 0, "procs": 0,
                     "max_procs": 0, "failures": [], "seconds": 0.0}
            t_s = time.monotonic()
            for seed in seeds:
                wd = os.path.join(env.tmp, f"{name}.{seed}")
                t0 = time.monotonic()
                root = env.last_root = None
                try:
                    procs = a.kill_procs if name == "kill" and a.kill_procs else a.procs
                    res, root = SCENARIOS[name](env, seed, procs, wd)
                    if "skip" in res:
                        tally["skip"] += 1
                        print(f"SKIP {name} seed {seed}: {res['skip']}", flush=True)
                        continue
                    tally["pass"] += 1
                    tally["procs"] += res["procs"]
                    tally["max_procs"] = max(tally["max_procs"], res["procs"])
                    print(f"ok   {name} seed {seed} ({time.monotonic() - t0:.1f}s, {res['procs']} procs): {res['detail']}",
                          flush=True)
                except (Fail, subprocess.TimeoutExpired, OSError) as e:
                    tally["fail"] += 1
                    tally["failures"].append(f"seed {seed}: {e}")
                    print(f"FAIL {name} seed {seed}: {e}", flush=True)
                    root = env.last_root
                    if a.keep:
                        keep = tempfile.mkdtemp(prefix=f"kmodx-stress-{name}-{seed}.")
                        for src in (wd, root):
                            if src and os.path.exists(src):
                                shutil.copytree(src, os.path.join(keep, os.path.basename(src)), symlinks=True)
                        print(f"     kept in {keep}", flush=True)
                finally:
                    tally["seeds"] += 1
                    for src in (wd, root or env.last_root):
                        if src:
                            shutil.rmtree(src, ignore_errors=True)
            tally["seconds"] = round(time.monotonic() - t_s, 1)
            tallies.append(tally)
            failed += tally["fail"]
            ran += tally["pass"] + tally["fail"]
            print(f"== {name}: {tally['seeds']} seeds, {tally['pass']} pass, {tally['fail']} fail, "
                  f"{tally['skip']} skip, {tally['procs']} processes, {tally['seconds']}s", flush=True)
            if a.summary:
                with open(a.summary, "a") as f:
                    f.write(json.dumps(tally) + "\n")
    finally:
        shutil.rmtree(env.tmp, ignore_errors=True)
    if a.table:
        print("\n| scenario | seeds | processes (max per storm) | pass | fail | skip | time |")
        print("|---|---|---|---|---|---|---|")
        for t in tallies:
            print(f"| {t['scenario']} | {t['seeds']} | {t['procs']} ({t['max_procs']}) | {t['pass']} | {t['fail']} "
                  f"| {t['skip']} | {t['seconds']} s |")
        for t in tallies:
            for f in t["failures"]:
                print(f"- {t['scenario']} {f}")
    if failed:
        return 1
    return 0 if ran else 77


if __name__ == "__main__":
    sys.exit(main())
