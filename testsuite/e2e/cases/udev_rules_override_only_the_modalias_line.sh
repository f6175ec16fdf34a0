#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# data/udev/80-drivers.rules (docs/udev.md) is systemd's 80-drivers.rules with
# exactly one line changed: the MODALIAS builtin `kmod load` becomes a run of
# `kmodx modprobe -bq $env{MODALIAS}`. Compared with the system's copy
# (UDEV_RULES_ORIGINAL overrides where it is looked for); skipped without one.
# Also: the command that line runs loads a module by its alias, once.
. "$(dirname "$0")/../lib.sh"

ours=$KMODX_BUILD/data/udev/80-drivers.rules
[ -f "$ours" ] || die "$ours not built"

original=${UDEV_RULES_ORIGINAL:-}
if [ -z "$original" ]; then
    for f in /usr/lib/udev/rules.d/80-drivers.rules /lib/udev/rules.d/80-drivers.rules; do
        [ -f "$f" ] && { original=$f; break; }
    done
fi
[ -n "$original" ] && [ -f "$original" ] || skip "no system 80-drivers.rules to compare with (udev not installed)"

diff "$original" "$ours" >"$E2E_TMP/diff" && die "no difference from $original"
removed=$(grep -c '^< ' "$E2E_TMP/diff")
added=$(grep -c '^> ' "$E2E_TMP/diff")
assert_eq "$removed $added" "1 1" "lines changed"
assert_eq "$(grep '^< ' "$E2E_TMP/diff")" '< ENV{MODALIAS}=="?*", RUN{builtin}+="kmod load"' "the line replaced"
line=$(grep '^> ' "$E2E_TMP/diff")
case $line in
    '> ENV{MODALIAS}=="?*", RUN+="/'*'/kmodx modprobe -bq $env{MODALIAS}"') ;;
    *) die "the replacement line is not kmodx modprobe -bq: $line" ;;
esac

# The command, as udev would run it for an input device (evdev's alias is
# input:b*v*p*e*-e*k*r*a*m*l*s*f*w*), with the multi-call binary.
alias=input:b0019v0000p0001e0000-e0,1,k74,ramlsfw
ROOT=$(new_root)
mkdir -p "$ROOT/run"
run_in "$ROOT" "$KMODX_BUILD/tools/kmodx" modprobe -bq "$alias"
assert_rc 0
assert_err_eq ""
assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls for evdev's alias"
run_in "$ROOT" "$KMODX_BUILD/tools/kmodx" modprobe -bq "$alias"
assert_rc 0
assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls once it is live"
echo "ok"
