#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Loads and removals of the same module chain at once: 24 `modprobe nvme`
# and 8 `modprobe -r nvme` (kmodx), repeated over three rounds. Everyone
# finishes (a load may lose a race against a removal of one of its
# dependencies and exit 1, as with stock kmod; nothing hangs or crashes),
# the kernel ends consistent (nothing coming or going, every loaded module's
# dependencies loaded), no lock is left held, and a last request loads the
# whole chain once more.
. "$(dirname "$0")/../lib.sh"

chain="nvme nvme_core t10_pi crc64_rocksoft crc64"
KVER=$(cat "$FIXTURE_ROOT/proc/sys/kernel/osrelease" 2>/dev/null || echo 6.1.0-sim)

# deps NAME: NAME's dependencies from modules.dep, as module names.
deps() {
    awk -v m="$1" '{
        f = $1; sub(":$", "", f); n = split(f, p, "/"); b = p[n]; sub("\\.ko.*$", "", b); gsub("-", "_", b)
        if (b == m) for (i = 2; i <= NF; i++) { n = split($i, q, "/"); d = q[n]; sub("\\.ko.*$", "", d); gsub("-", "_", d); print d }
    }' "$ROOT/lib/modules/$KVER/modules.dep"
}

ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/.simkernel"
printf 'load_ns_base=10ms\nunload_ns=10ms\n' >"$ROOT/.simkernel/config"
[ -n "$(deps nvme)" ] || die "no dependencies for nvme in modules.dep"
for round in 1 2 3; do
    i=0
    while [ "$i" -lt 32 ]; do
        i=$((i + 1))
        if [ $((i % 4)) -eq 0 ]; then
            spawn "m.$i" "$ROOT" "$KMODX_BUILD/tools/modprobe" -r nvme
        else
            spawn "m.$i" "$ROOT" "$KMODX_BUILD/tools/modprobe" nvme
        fi
    done
    wait
    i=0
    while [ "$i" -lt 32 ]; do
        i=$((i + 1))
        rc=$(cat "$E2E_TMP/m.$i.rc")
        case $rc in 0 | 1) ;; *) die "round $round, process $i exited $rc: $(cat "$E2E_TMP/m.$i.err")" ;; esac
        # A failure must be kmod's one-line answer, not a crash or a hang.
        if [ "$rc" = 1 ] && [ $((i % 4)) -ne 0 ]; then
            grep -q "^modprobe: ERROR: could not insert 'nvme': " "$E2E_TMP/m.$i.err" ||
                die "round $round, load $i failed oddly: $(cat "$E2E_TMP/m.$i.err")"
        fi
    done
    grep -E " (Loading|Unloading) " "$ROOT/proc/modules" && die "round $round: modules still in transition"
    for m in $(cut -d' ' -f1 "$ROOT/proc/modules"); do
        for d in $(deps "$m"); do
            grep -q "^$d " "$ROOT/proc/modules" || die "round $round: $m is loaded without its dependency $d"
        done
    done
    for m in $chain; do
        [ ! -e "$ROOT/run/kmodx/locks/$m" ] || flock -n "$ROOT/run/kmodx/locks/$m" true || die "round $round: $m still locked"
    done
done

run_kmodx "$ROOT" modprobe nvme
assert_rc 0
for m in $chain; do grep -q "^$m .* Live " "$ROOT/proc/modules" || die "$m not live after a last request"; done
echo "ok"
