#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# modprobe --stats --compare: this boot beside the one before, which the
# archive kept. The modules loaded in one boot and not the other, as text and
# as JSON; the default is the boot before; a boot that is not there says so.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

ROOT=$(stats_root)
run_kmodx "$ROOT" modprobe evdev
assert_rc 0
run_kmodx "$ROOT" modprobe crc64
assert_rc 0
run_kmodx "$ROOT" modprobe --stats --compare
assert_rc 1
assert_err_contains "no stats for boot -1"
mkdir -p "$ROOT/var/lib"  # the archive's parent, as on a machine
run_kmodx "$ROOT" modprobe --stats-archive
assert_rc 0

# The next boot: another boot id; evdev loaded again, crc64 found live,
# t10_pi (with crc64_rocksoft) new.
echo 1d5c7b4e-2222-4c2a-9c3e-5a6b7c8d9e0f >"$ROOT/proc/sys/kernel/random/boot_id"
run_kmodx "$ROOT" modprobe -r evdev
assert_rc 0
for m in evdev crc64 t10_pi; do
    run_kmodx "$ROOT" modprobe "$m"
    assert_rc 0
done

run_kmodx "$ROOT" modprobe --stats --compare
assert_rc 0
assert_err_eq ""
printf '%s\n' "$OUT" >"$E2E_TMP/compare.txt"
head -n 1 "$E2E_TMP/compare.txt" | grep -qx "Boot 0 (1d5c7b4e-2222-4c2a-9c3e-5a6b7c8d9e0f) against boot -1 ($STATS_BOOT):" ||
    die "first line: $(head -n 1 "$E2E_TMP/compare.txt")"
section() { sed -n "/^$1/,/^\$/p" "$E2E_TMP/compare.txt" | sed '1d;$d'; }
assert_eq "$(section 'Loaded only in boot 0:')" "	crc64_rocksoft t10_pi" "loaded only now"
assert_eq "$(section 'Loaded only in boot -1:')" "	crc64" "loaded only before"
section 'Counts:' | grep -qE '^ +Loaded	 +2	 +3$' || die "counts: $(section 'Counts:')"

run_kmodx "$ROOT" modprobe --stats=json --compare=-1
assert_rc 0
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert (d["boot"], d["against"]) == (0, -1), d
assert d["only_now"] == ["crc64_rocksoft", "t10_pi"] and d["only_before"] == ["crc64"], d
assert d["counts"]["loaded"] == {"before": 2, "now": 3}, d["counts"]
' "$OUT" || die "--stats=json --compare: $OUT"

run_kmodx "$ROOT" modprobe --stats --compare=-5
assert_rc 1
assert_err_contains "no stats for boot -5"
run_kmodx "$ROOT" modprobe --stats --compare=1
assert_rc 1
assert_err_eq "modprobe: ERROR: invalid --compare value '1': 0 is this boot, -1 the one before, ...
"
echo ok
