#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What another user, or a stale hand-made file, can do to kmodx's runtime
# files: nothing but make it load without dedup or without
# recording. Every load still happens exactly as stock modprobe's would; no
# file outside kmodx's own is written through a symlink or a second link; an
# unprivileged caller cannot write a lock record or a stats record, so it
# cannot fake a cached failure for root's next load.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

victim_ok() {
    [ "$(cat "$1")" = precious ] || die "$2: the victim file was written: $(cat "$1")"
}

# The runtime directory made by another user.
ROOT=$(stats_root)
mkdir -p "$ROOT/run/kmodx"
chown 65534:65534 "$ROOT/run/kmodx"
run_kmodx "$ROOT" modprobe -- nvme
assert_rc 0
assert_err_eq "modprobe: WARNING: /run/kmodx: not owned by root: loading without dedup (remove it; root's next modprobe makes it again)
"
grep -q "^nvme " "$ROOT/proc/modules" || die "nvme not loaded"
[ -z "$(ls -A "$ROOT/run/kmodx")" ] || die "files made in another user's directory: $(ls -A "$ROOT/run/kmodx")"

# Its locks/ made by another user, in root's runtime directory: the warning
# names locks/, not the directory above it.
ROOT=$(stats_root)
mkdir -p "$ROOT/run/kmodx/locks"
chmod 700 "$ROOT/run/kmodx/locks"
chown 65534:65534 "$ROOT/run/kmodx/locks"
run_kmodx "$ROOT" modprobe -- nvme
assert_rc 0
assert_err_eq "modprobe: WARNING: /run/kmodx/locks: not owned by root: loading without dedup (remove it; root's next modprobe makes it again)
"
grep -q "^nvme " "$ROOT/proc/modules" || die "nvme not loaded"

# Lock files planted in a good directory: a symlink, a second link of another
# file, one writable by everyone.
ROOT=$(stats_root)
mkdir -p "$ROOT/run/kmodx"
mkdir -m 700 "$ROOT/run/kmodx/locks"
echo precious >"$ROOT/victim"
ln -s "$ROOT/victim" "$ROOT/run/kmodx/locks/evdev"
ln "$ROOT/victim" "$ROOT/run/kmodx/locks/irqbypass"
: >"$ROOT/run/kmodx/locks/serio_raw"
chmod 0666 "$ROOT/run/kmodx/locks/serio_raw"
run_kmodx "$ROOT" modprobe -- evdev
assert_rc 0
assert_err_contains "/run/kmodx/locks/evdev: symlink: loading evdev without dedup"
run_kmodx "$ROOT" modprobe -- irqbypass
assert_rc 0
assert_err_contains "/run/kmodx/locks/irqbypass: untrusted lock file: loading irqbypass without dedup"
run_kmodx "$ROOT" modprobe -- serio_raw
assert_rc 0
assert_err_contains "/run/kmodx/locks/serio_raw: untrusted lock file: loading serio_raw without dedup"
for m in evdev irqbypass serio_raw; do
    grep -q "^$m " "$ROOT/proc/modules" || die "$m not loaded"
    assert_eq "$(load_calls "$ROOT" "$m")" 1 "load syscalls for $m"
done
victim_ok "$ROOT/victim" "planted lock files"
# The loads are recorded as degraded runs with the reason.
stats_events "$ROOT" >"$E2E_TMP/events"
assert_eq "$(awk '$2=="loaded"' "$E2E_TMP/events" | wc -l)" 3 "loaded events"
run_kmodx "$ROOT" modprobe --stats
assert_rc 0
printf '%s\n' "$OUT" | grep -q "untrusted lock file" || die "degraded reason not in the report: $OUT"

# The stats store planted: its directory a symlink, then the boot's file a
# symlink, then a file owned by another user.
ROOT=$(stats_root)
mkdir -p "$ROOT/run/kmodx" "$ROOT/elsewhere"
ln -s "$ROOT/elsewhere" "$ROOT/run/kmodx/stats"
run_kmodx "$ROOT" modprobe -- evdev
assert_rc 0
grep -q "^evdev " "$ROOT/proc/modules" || die "evdev not loaded"
[ -z "$(ls -A "$ROOT/elsewhere")" ] || die "stats written through a symlinked directory: $(ls -A "$ROOT/elsewhere")"
rm "$ROOT/run/kmodx/stats"
mkdir -p "$ROOT/run/kmodx/stats"
echo precious >"$ROOT/victim"
ln -s "$ROOT/victim" "$ROOT/run/kmodx/stats/$STATS_BOOT.events"
run_kmodx "$ROOT" modprobe -- irqbypass
assert_rc 0
grep -q "^irqbypass " "$ROOT/proc/modules" || die "irqbypass not loaded"
victim_ok "$ROOT/victim" "symlinked events file"
rm "$ROOT/run/kmodx/stats/$STATS_BOOT.events"
printf 'forged\n' >"$ROOT/run/kmodx/stats/$STATS_BOOT.events"
chown 65534:65534 "$ROOT/run/kmodx/stats/$STATS_BOOT.events"
run_kmodx "$ROOT" modprobe -- serio_raw
assert_rc 0
grep -q "^serio_raw " "$ROOT/proc/modules" || die "serio_raw not loaded"
assert_eq "$(cat "$ROOT/run/kmodx/stats/$STATS_BOOT.events")" forged "another user's events file"
run_kmodx "$ROOT" modprobe --stats
assert_rc 1
assert_err_contains "not owned by root"

# An unprivileged caller: a failing load cannot leave a cached failure or a
# stats record behind. Only where that user can reach the machine root and
# the binary (a checkout under a 0700 directory hides them).
ROOT=$(stats_root)
chmod 755 "$E2E_TMP" "$ROOT"
run_kmodx "$ROOT" modprobe -- irqbypass
assert_rc 0
if setpriv --reuid=65534 --regid=65534 --clear-groups \
    sh -c 'test -r "$1" && test -x "$2"' sh "$ROOT/proc/sys/kernel/random/boot_id" "$KMODX_BUILD/tools/modprobe"; then
    printf 'fail.evdev=ENODEV\n' >"$ROOT/.simkernel/config"
    chmod -R a+rwX "$ROOT/.simkernel" "$ROOT/sys" "$ROOT/proc"
    before=$(stats_events "$ROOT" | wc -l)
    rc=0
    SIM_ENV= sim_run "$ROOT" setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$KMODX_BUILD/tools/modprobe" evdev >"$E2E_TMP/user.out" 2>"$E2E_TMP/user.err" || rc=$?
    assert_eq "$rc" 1 "the unprivileged failing load's exit status"
    # kmod's one line, and no word from kmodx about a lock directory the
    # user may not enter.
    assert_eq "$(cat "$E2E_TMP/user.err")" "modprobe: ERROR: could not insert 'evdev': No such device" \
        "the unprivileged load's stderr"
    [ -z "$(find "$ROOT/run" -user 65534)" ] || die "files left by the unprivileged user: $(find "$ROOT/run" -user 65534)"
    [ ! -e "$ROOT/run/kmodx/locks/evdev" ] || die "a lock file for the unprivileged load: $(cat "$ROOT/run/kmodx/locks/evdev")"
    assert_eq "$(stats_events "$ROOT" | wc -l)" "$before" "stats records after the unprivileged load"
    # Root's load right after is not answered from a cached failure.
    : >"$ROOT/.simkernel/config"
    run_kmodx "$ROOT" modprobe -- evdev
    assert_rc 0
    grep -q "^evdev " "$ROOT/proc/modules" || die "root's evdev load was suppressed"
else
    echo "note: a non-root user cannot reach $ROOT; the unprivileged caller not checked"
fi
echo ok
