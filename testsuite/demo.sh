#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The main job, as a demo: a boot's storm of module requests, the kernel's
# `modprobe -q -- NAME` fired once per CPU for each module, in two identical
# simulated 6.1 machines (no merging of concurrent loads in the kernel), with
# Debian's kmod in one and kmodx in the other. Then what reached each kernel,
# side by side, and kmodx's own record of its storm (`modprobe --stats`).
# Usage: testsuite/demo.sh BUILD_DIR   (DEMO_CPUS, default 16)
# No `set -e`: the storm's failing requests are part of the show, and lib.sh's
# spawn records each exit status after the request returns.
set -u
build=$(cd "${1:-build}" && pwd) || exit 1
here=$(cd "$(dirname "$0")" && pwd)
export KMODX_BUILD="$build"
export FIXTURE_ROOT="$build/testsuite/fixtures/root"
export SIMRUN="$here/simkernel/simrun"
export SIMKERNEL_LIB="$build/testsuite/simkernel/libsimkernel.so"
. "$here/e2e/lib.sh"
. "$here/e2e/stats_lib.sh"

cpus=${DEMO_CPUS:-16}
# nvme: a 5-module chain; xfs: 3 modules; evdev: one; serio_raw fails in its
# init (ENODEV), as a driver for hardware the machine lacks does.
modules="nvme xfs evdev serio_raw"
requests=$((cpus * 4))

# storm_on ROOT PROGRAM: every CPU asks for every module at once, as the
# kernel's autoload does at boot. Prints the storm's wall time in ms.
storm_on() {
    local root=$1 prog=$2 cpu=0 m t0
    # A module's init takes 20 ms, so requests overlap as on a real boot.
    printf 'load_ns_base=20ms\nfail.serio_raw=ENODEV\n' >"$root/.simkernel/config"
    t0=$(date +%s%N)
    while [ "$cpu" -lt "$cpus" ]; do
        cpu=$((cpu + 1))
        for m in $modules; do spawn "storm.$cpu.$m" "$root" "$prog" -q -- "$m"; done
    done
    wait
    echo $((($(date +%s%N) - t0) / 1000000))
}

# exits: the storm's exit statuses, counted ("56 x 0, 16 x 1").
exits() {
    cat "$E2E_TMP"/storm.*.rc | sort | uniq -c | awk '{printf "%s%s x %s", sep, $1, $2; sep=", "}'
    rm -f "$E2E_TMP"/storm.*
}

echo "A boot storm on $cpus simulated CPUs: each asks for $modules"
echo "(\`modprobe -q -- NAME\`, as the kernel calls it): $requests requests at once, on kernel 6.1."
echo

stock_root=$(stats_root)
stock_ms=$(storm_on "$stock_root" "$E2E_TMP/stock/modprobe")
stock_exits=$(exits)
kmodx_root=$(stats_root)
kmodx_ms=$(storm_on "$kmodx_root" "$build/tools/modprobe")
kmodx_exits=$(exits)

python3 - "$here/simkernel/simkernel-report" "$stock_root" "$kmodx_root" \
    "Debian kmod $(stock_kmod_version)" "kmodx" "$stock_ms" "$kmodx_ms" "$stock_exits" "$kmodx_exits" <<'PY'
import json, subprocess, sys
report, roots, names, ms, exits = sys.argv[1], sys.argv[2:4], sys.argv[4:6], sys.argv[6:8], sys.argv[8:10]
reports = [json.loads(subprocess.run(["python3", report, r, "--json"], check=True, capture_output=True,
                                     text=True).stdout) for r in roots]
t = [r["totals"] for r in reports]
rows = [
    ("load syscalls", "load_calls"),
    ("  that loaded a module", "successes"),
    ("  refused with EEXIST", "eexist"),
    ("  that failed otherwise", "other_errors"),
    ("bytes the kernel read", "bytes_read"),
    ("virtual memory wasted", "wasted_bytes"),
    ("peak module memory", "peak_bytes"),
]
w = 26
print(f"{'':{w}}{names[0]:>20}{names[1]:>20}")
for label, key in rows:
    print(f"{label:{w}}{t[0][key]:>20,}{t[1][key]:>20,}")
print(f"{'storm wall time (ms)':{w}}{int(ms[0]):>20,}{int(ms[1]):>20,}")
print(f"{'exit statuses':{w}}{exits[0]:>20}{exits[1]:>20}")
print()
print("Every caller got the same exit status from both tools." if exits[0] == exits[1] else
      "The callers' exit statuses differ between the tools!")
per = reports[1]["modules"]
if per and all(m["loads"] == 1 for m in per.values()):
    print(f"kmodx made {t[1]['load_calls']} load syscalls: one per module, the failing one included.")
PY

echo
echo "What kmodx recorded of its storm (\`modprobe --stats\`, kmodx's machine):"
echo
run_kmodx "$kmodx_root" modprobe --stats
printf '%s' "$OUT" "$ERR"
