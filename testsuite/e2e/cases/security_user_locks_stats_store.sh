#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# docs/security.md, attack 3: an unprivileged user flocks every part of the stats store it can
# open (the boot's events file, its dropped counter, the stats directory).
# Root's calls neither wait on those locks nor lose their records, nothing is
# counted as dropped, and the store is still compacted within its bound: the
# store's own locks are files in a 0700 directory that user cannot open. The
# user can still read the report, without locks.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

ROOT=$(stats_root)
chmod 755 "$E2E_TMP" "$ROOT"
ATT=$E2E_TMP/attacker
mkdir -p "$ATT"
chmod 777 "$ATT"
STATS=$ROOT/run/kmodx/stats
EVENTS=$STATS/$STATS_BOOT.events
export SIM_ENV=KMODX_STATS_MAX_BYTES=4096

# hold MODE PATH TAG: nobody holds flock MODE on PATH in the background;
# returns once it is held.
hold() {
    as_nobody flock "$1" -o "$2" sh -c 'echo $$ >"$1"; exec sleep 30' sh "$ATT/$3.pid" &
    echo $! >"$ATT/$3.flock"
    wait_for -t 20 "nobody to get its lock on $2" test -s "$ATT/$3.pid"
}
release_all() {
    for f in "$ATT"/*.pid "$ATT"/*.flock; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
    wait
    rm -f "$ATT"/*.pid "$ATT"/*.flock
}
trap 'rc=$?; release_all; [ "$rc" -eq 0 ] || kill_leftovers; rm -rf "$E2E_TMP"' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# calls N: N kernel-style calls for the live evdev, each exit 0 and quiet;
# prints how long they took in ms.
calls() {
    t0=$(now_ms)
    i=0
    while [ "$i" -lt "$1" ]; do
        i=$((i + 1))
        run_kmodx "$ROOT" modprobe -q -- evdev
        assert_rc 0
        assert_err_eq ""
    done
    echo $(($(now_ms) - t0))
}
live_records() { stats_count "$ROOT" '$1 == "evdev" && $2 == "already_live"'; }
dropped() { sed 's/^0*//; s/^$/0/' "$STATS/$STATS_BOOT.dropped"; }
# pad N: N copies of the store's last single already-live evdev record,
# appended by hand, past the bound.
pad() {
    last=$(awk -F'\t' '$4 == "evdev" && $10 == "already_live" && $28 == 1' "$EVENTS" | tail -n 1)
    [ -n "$last" ] || die "no already-live record to copy"
    i=0
    while [ "$i" -lt "$1" ]; do i=$((i + 1)); printf '%s\n' "$last"; done >>"$EVENTS"
}
size_within_bound() {
    size=$(stat -c %s "$EVENTS")
    [ "$size" -le 4096 ] || die "$1: the store is $size bytes, over its 4096-byte bound"
}

run_kmodx "$ROOT" modprobe -- evdev
assert_rc 0
grep -q '^evdev ' "$ROOT/proc/modules" || die "evdev not loaded"
as_nobody sh -c 'test -r "$1" && test -x "$2"' sh "$EVENTS" "$KMODX_BUILD/tools/modprobe" ||
    skip "a non-root user cannot reach $ROOT (a checkout under a 0700 directory)"
base_ms=$(calls 5)
assert_eq "$(live_records)" 5 "already-live records before the attack"

# What kmodx locks, nobody can open.
if [ -d "$STATS/locks" ]; then
    assert_eq "$(stat -c '%u %a' "$STATS/locks")" "0 700" "owner and mode of the locks directory"
    for f in "$STATS/locks"/*; do
        assert_eq "$(stat -c '%u %a' "$f")" "0 600" "owner and mode of $f"
        ! as_nobody sh -c 'exec 3<"$1"' sh "$f" 2>/dev/null || die "nobody opened $f"
    done
fi

# Exclusive locks on everything nobody can open, with the store over its
# bound: root's records all land, the store is compacted.
pad 30
hold -x "$EVENTS" events
hold -x "$STATS/$STATS_BOOT.dropped" dropped
hold -x "$STATS" dir
attacked_ms=$(calls 5)
run_kmodx "$ROOT" modprobe -q -- crc64
assert_rc 0
grep -q '^crc64 ' "$ROOT/proc/modules" || die "crc64 not loaded under the attack"
assert_eq "$(stats_count "$ROOT" '$1 == "crc64" && $2 == "loaded"')" 1 "crc64's loaded record"
assert_eq "$(live_records)" 40 "already-live records under exclusive locks (5 + 30 padded + 5)"
assert_eq "$(dropped)" 0 "records counted as dropped"
size_within_bound "exclusive locks"
# The report, read by the attacker while it holds its locks.
SIM_ENV= sim_run "$ROOT" setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$KMODX_BUILD/tools/modprobe" --stats >"$ATT/report" 2>"$ATT/report.err" ||
    die "nobody's modprobe --stats failed: $(cat "$ATT/report.err")"
grep -q 'evdev' "$ATT/report" || die "nobody's report lacks evdev: $(cat "$ATT/report")"
release_all
# Well under the second per call that a wait on those locks would cost.
[ "$attacked_ms" -lt $((base_ms + 2500)) ] ||
    die "5 calls took ${attacked_ms} ms under exclusive locks, ${base_ms} ms without"

# A shared lock on the events file: the compactor's own lock is not held up.
pad 30
hold -s "$EVENTS" events
attacked_ms=$(calls 5)
release_all
assert_eq "$(live_records)" 75 "already-live records under a shared lock (40 + 30 padded + 5)"
assert_eq "$(dropped)" 0 "records counted as dropped"
size_within_bound "shared lock"
[ "$attacked_ms" -lt $((base_ms + 2500)) ] ||
    die "5 calls took ${attacked_ms} ms under a shared lock, ${base_ms} ms without"
echo ok
