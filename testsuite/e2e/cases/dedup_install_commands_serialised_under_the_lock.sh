#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install commands under a storm (docs/dedup.md, "Install commands"):
#  - a command that loads the module (`modprobe --ignore-install evdev`) runs
#    once: the others find evdev live when they get the lock. The nested
#    kmodx modprobe does not wait for its parent's lock (it would hang until
#    the bound otherwise).
#  - a command that never loads it runs every time, as in kmod, but never two
#    at once (stock kmod runs them concurrently).
. "$(dirname "$0")/../lib.sh"

LOG=$E2E_TMP/install.log

# overlaps LOG: how many times a command started while another was running.
overlaps() {
    awk '$1=="start" {if (running) n++; running=1} $1=="end" {running=0} END {print n+0}' "$1"
}

# A command that loads evdev through kmodx.
ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/.simkernel" "$ROOT/etc/modprobe.d"
echo "load_ns_base=20ms" >"$ROOT/.simkernel/config"
echo "install evdev echo start >>$LOG; sleep 1; $KMODX_BUILD/tools/modprobe --ignore-install evdev; echo end >>$LOG" \
    >"$ROOT/etc/modprobe.d/evdev.conf"
storm 8 "$ROOT" "$KMODX_BUILD/tools/modprobe" -v evdev
i=0
while [ "$i" -lt 8 ]; do
    i=$((i + 1))
    assert_eq "$(cat "$E2E_TMP/s.$i.rc")" 0 "exit status of process $i ($(cat "$E2E_TMP/s.$i.err"))"
done
assert_eq "$(grep -c start "$LOG")" 1 "runs of the install command that loads evdev"
assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls"
waited=$(cat "$E2E_TMP"/s.*.err | grep -c "^modprobe: NOTICE: evdev loaded by another process, waited [0-9]* ms$")
[ "$waited" -ge 1 ] || die "no process said it waited for the command: $(cat "$E2E_TMP"/s.*.err)"
# -v's "install CMD" line comes from the one process that ran the command,
# not from those that waited and found evdev live.
assert_eq "$(cat "$E2E_TMP"/s.*.out | grep -c '^install ')" 1 "-v install lines"
flock -n "$ROOT/run/kmodx/locks/evdev" true || die "evdev still locked"

# A command that never loads evdev.
rm -f "$LOG"
ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/etc/modprobe.d"
echo "install evdev echo start >>$LOG; sleep 0.05; echo end >>$LOG" >"$ROOT/etc/modprobe.d/evdev.conf"
storm 8 "$ROOT" "$KMODX_BUILD/tools/modprobe" evdev
i=0
while [ "$i" -lt 8 ]; do
    i=$((i + 1))
    assert_eq "$(cat "$E2E_TMP/s.$i.rc")" 0 "exit status of process $i ($(cat "$E2E_TMP/s.$i.err"))"
done
assert_eq "$(grep -c start "$LOG")" 8 "runs of the install command that does not load evdev"
assert_eq "$(overlaps "$LOG")" 0 "commands that ran while another was running"
assert_eq "$(load_calls "$ROOT" evdev)" 0 "load syscalls"

# The baseline: stock kmod runs them at the same time.
rm -f "$LOG"
ROOT=$(new_root)
mkdir -p "$ROOT/etc/modprobe.d"
echo "install evdev echo start >>$LOG; sleep 0.05; echo end >>$LOG" >"$ROOT/etc/modprobe.d/evdev.conf"
storm 8 "$ROOT" "$E2E_TMP/stock/modprobe" evdev
assert_eq "$(grep -c start "$LOG")" 8 "runs under stock kmod"
[ "$(overlaps "$LOG")" -gt 0 ] || die "stock kmod's commands never overlapped: the storm did not overlap"

# --no-dedup: kmod's behaviour.
rm -f "$LOG"
ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/etc/modprobe.d"
echo "install evdev echo start >>$LOG; sleep 0.05; echo end >>$LOG" >"$ROOT/etc/modprobe.d/evdev.conf"
storm 8 "$ROOT" "$KMODX_BUILD/tools/modprobe" --no-dedup evdev
[ "$(overlaps "$LOG")" -gt 0 ] || die "--no-dedup still serialised the commands"
echo "ok"
