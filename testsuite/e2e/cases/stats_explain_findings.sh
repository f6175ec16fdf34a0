#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# modprobe --stats --explain: a module whose init fails, asked for three
# times (one load, two cached failures), and a name nothing answers asked
# for three times by the kernel, each become a finding with its numbers;
# the same in --stats=json; --explain without --stats, or with a format, is
# refused.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

ROOT=$(stats_root)
echo "fail.chain_e=ENODEV" >"$ROOT/.simkernel/config"
for i in 1 2 3; do
    run_kmodx "$ROOT" modprobe chain_e
    assert_rc 1
done
assert_eq "$(load_calls "$ROOT" chain_e)" 1 "load syscalls for the failing module"
for i in 1 2 3; do
    env -i HOME=/ TERM=linux PATH=/sbin:/usr/sbin:/bin:/usr/bin ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
        timeout -k 5 "$E2E_TIMEOUT" "$SIMRUN" "$ROOT" "$KMODX_BUILD/tools/modprobe" -q -- net-pf-10 \
        </dev/null >/dev/null 2>&1 || :
done

run_kmodx "$ROOT" modprobe --stats --explain
assert_rc 0
assert_out_contains "- [failing-module] chain_e failed 3 times with ENODEV (asked by other:3; 1 was tried, 2 answered from kmodx's cache)."
assert_out_contains "\`blacklist chain_e\` in a file of /etc/modprobe.d stops these requests"
# The two cached failures kept two loads from the kernel.
assert_out_contains "- [duplicates-kept] kmodx kept 2 duplicate loads of 1 module from the kernel"
assert_out_contains "- [not-found] Nothing answers net-pf-10, yet it was asked for 3 times (by kernel:3)."
printf '%s\n' "$OUT" | head -n 1 | grep -q "^Findings for boot 0 ($STATS_BOOT), from " || die "header: $OUT"

# The same findings in --stats=json, rule and sentence.
run_kmodx "$ROOT" modprobe --stats=json
assert_rc 0
printf '%s' "$OUT" | python3 -c '
import json, sys
f = json.load(sys.stdin)["findings"]
assert [x["rule"] for x in f] == ["failing-module", "duplicates-kept", "not-found"], f
assert f[0]["text"].startswith("chain_e failed 3 times with ENODEV"), f
' || die "JSON findings: $OUT"

run_kmodx "$ROOT" modprobe --explain
assert_rc 1
assert_err_contains "modprobe: ERROR: --explain goes with --stats only"
run_kmodx "$ROOT" modprobe --stats=json --explain
assert_rc 1
assert_err_contains "--explain prints findings as text"
echo ok
