#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Failures and removals in the stats store: a module whose init fails
# (FailedKernel with its errno, once per load syscall; the retry within the
# failure window is a SuppressedFailure), a blacklisted alias under -b, a
# dry run (nothing), and removals by rmmod and modprobe -r with the taint
# flags the module carried.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

ROOT=$(stats_root)
cat >"$ROOT/.simkernel/config" <<CFG
fail.chain_e=ENODEV
taint.chain_d=OE
taint.crc64=P
CFG
run_kmodx "$ROOT" modprobe chain_e
assert_rc 1
run_kmodx "$ROOT" modprobe chain_e
assert_rc 1
assert_eq "$(load_calls "$ROOT" chain_e)" 1 "load syscalls for the failing module"
stats_events "$ROOT" >"$E2E_TMP/events"
assert_eq "$(awk '$1=="chain_e" {print $2, $4}' "$E2E_TMP/events")" "failed_kernel 19
suppressed_failure 19" "failing module's events"

# -n: nothing is recorded, not even the fast path.
run_kmodx "$ROOT" modprobe -n chain_d
assert_rc 0
run_kmodx "$ROOT" modprobe -n crc64
assert_rc 0

# Blacklisted: an alias of a blacklisted module under -b.
echo "blacklist crc64_rocksoft" >"$ROOT/etc/modprobe.d/stats-blacklist.conf"
run_kmodx "$ROOT" modprobe -b crc64-rocksoft
assert_rc 0
assert_eq "$(load_calls "$ROOT" crc64_rocksoft)" 0 "load syscalls for the blacklisted module"
stats_events "$ROOT" >"$E2E_TMP/events"
assert_eq "$(awk '$1=="crc64_rocksoft" {print $2}' "$E2E_TMP/events")" blacklisted "blacklisted event"
assert_eq "$(awk '$1=="chain_d" || $1=="crc64"' "$E2E_TMP/events")" "" "events of dry runs"

# Removals: the kernel shows the taint in /proc/modules until the module goes.
printf 'taint.evdev=OE\ntaint.crc64=P\n' >"$ROOT/.simkernel/config"
run_kmodx "$ROOT" modprobe evdev
assert_rc 0
run_kmodx "$ROOT" insmod /lib/modules/6.1.0-sim/kernel/lib/crc64.ko
assert_rc 0
grep -q '^evdev .* (OE)$' "$ROOT/proc/modules" || die "no taint in /proc/modules: $(cat "$ROOT/proc/modules")"
run_kmodx "$ROOT" rmmod evdev
assert_rc 0
run_kmodx "$ROOT" modprobe -r crc64
assert_rc 0
run_kmodx "$ROOT" rmmod evdev
assert_rc 1
stats_events "$ROOT" >"$E2E_TMP/events"
assert_eq "$(awk '$1=="evdev" && $7=="rmmod" {print $2, $4, $5}' "$E2E_TMP/events")" "removed 0 OE" "rmmod's events"
assert_eq "$(awk '$1=="crc64" {print $7, $2, $5}' "$E2E_TMP/events")" "insmod loaded -
modprobe removed P" "insmod and modprobe -r events"
# A module that will not go: FailedRemove with the kernel's errno.
printf 'fail_remove.evdev=EBUSY\n' >"$ROOT/.simkernel/config"
run_kmodx "$ROOT" modprobe evdev
assert_rc 0
run_kmodx "$ROOT" rmmod evdev
assert_rc 1
stats_events "$ROOT" >"$E2E_TMP/events"
assert_eq "$(awk '$1=="evdev" && $7=="rmmod" {print $2, $4}' "$E2E_TMP/events" | tail -n 1)" "failed_remove 16" "a failed removal"
echo ok
