#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# docs/security.md, attack 1, and the storm beside it: an unprivileged user opens
# every file and directory under /run it can and holds an flock on each
# (flock works on a read-only descriptor). Lock files live in root's 0700
# locks/, 0600 each, so none of them is among what it holds: root's loads
# never wait for it, load once per module, and their records are written.
# Without that, each root request for a held module waited the whole bound,
# once per module of a dependency chain, and a failing module was tried
# again after the wait.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"
. "$(dirname "$0")/../security_lib.sh"

user_machine
# Lock files for nvme's chain exist, then nvme and its dependencies are gone.
run_kmodx "$ROOT" modprobe -q -- nvme
assert_rc 0
run_kmodx "$ROOT" modprobe -r nvme
assert_rc 0
grep -q "^nvme " "$ROOT/proc/modules" && die "nvme still loaded"
for m in nvme nvme_core; do
    as_user sh -c 'exec 9<"$1"' sh "$ROOT/run/kmodx/locks/$m" 2>/dev/null &&
        die "the unprivileged user could open $m's lock file"
    [ "$(stat -c %a "$ROOT/run/kmodx/locks/$m")" = 600 ] || die "$m's lock file is $(stat -c %a "$ROOT/run/kmodx/locks/$m")"
done
[ "$(stat -c %a "$ROOT/run/kmodx/locks")" = 700 ] || die "locks/ is $(stat -c %a "$ROOT/run/kmodx/locks")"

# Exclusive locks on all the user can open: root's calls go on as if it
# were not there (a bound of 3 s would show in -v as a wait).
hold_everything -x
[ -n "$HELD" ] || die "the user could lock nothing at all: the case shows nothing"
before=$(stats_count "$ROOT" '$1=="nvme" && $2=="loaded"')
SIM_ENV=KMODX_LOCK_WAIT_MS=3000 run_kmodx "$ROOT" modprobe -v -- nvme
assert_rc 0
case "$OUT$ERR" in *waiting*|*"still locked"*|*unusable*) die "root's load waited or degraded: $OUT$ERR" ;; esac
grep -q "^nvme " "$ROOT/proc/modules" || die "nvme not loaded"
assert_eq "$(stats_count "$ROOT" '$1=="nvme" && $2=="loaded"')" $((before + 1)) "nvme's loaded records"

# A failing module, in its failure window: answered from its record, not
# waited for and tried again.
printf 'fail.serio_raw=ENODEV\n' >"$ROOT/.simkernel/config"
run_kmodx "$ROOT" modprobe -q -- serio_raw
assert_rc 1
SIM_ENV=KMODX_LOCK_WAIT_MS=3000 run_kmodx "$ROOT" modprobe -v -- serio_raw
assert_rc 1
assert_eq "$(load_calls "$ROOT" serio_raw)" 1 "load syscalls for the failing serio_raw"
: >"$ROOT/.simkernel/config"

# The storm: 32 root requests for a chain while the user holds everything,
# shared this time: one load per module, every request done, every record
# kept.
release_everything
run_kmodx "$ROOT" modprobe -r nvme
hold_everything -s
before=$(stats_count "$ROOT" '$1=="nvme"')
SIM_ENV=KMODX_LOCK_WAIT_MS=3000 storm 32 "$ROOT" "$KMODX_BUILD/tools/modprobe" -q -- nvme
for i in $(seq 32); do
    assert_eq "$(cat "$E2E_TMP/s.$i.rc")" 0 "exit status of storm request $i ($(cat "$E2E_TMP/s.$i.err"))"
done
assert_eq "$(load_calls "$ROOT" nvme)" 3 "load syscalls for nvme (one per storm and the two before)"
assert_eq "$(load_calls "$ROOT" nvme_core)" 3 "load syscalls for nvme_core"
assert_eq "$(stats_count "$ROOT" '$1=="nvme"')" $((before + 32)) "nvme's records from the storm"
grep -q "lock_timed_out" "$ROOT/run/kmodx/stats/$STATS_BOOT.events" && die "a request timed out on a lock"
assert_eq "$(cat "$ROOT/run/kmodx/stats/$STATS_BOOT.dropped" | sed 's/^0*//')" "" "stats records dropped"
release_everything
echo ok
