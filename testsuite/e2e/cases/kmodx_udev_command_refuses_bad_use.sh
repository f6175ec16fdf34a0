#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# kmodx udev's command line (the switch itself: test_udev_override, and the
# package's tests on Debian 12 and 13): an unknown word is an error with the
# usage, --help is not, and on/off/preset refuse a user who is not root up
# front, saying why, with /etc left alone. Nothing here writes /etc.
. "$(dirname "$0")/../lib.sh"

kmodx=$KMODX_BUILD/tools/kmodx
rc=0
"$kmodx" udev sideways >"$E2E_TMP/out" 2>"$E2E_TMP/err" || rc=$?
assert_eq "$rc" 1 "exit status of an unknown word"
assert_eq "$(head -n 1 "$E2E_TMP/err")" "kmodx: udev: unexpected argument 'sideways'" "its message"
grep -q '^Usage: kmodx udev \[status | on | off\] \[--no-initramfs\]$' "$E2E_TMP/err" || die "no usage: $(cat "$E2E_TMP/err")"
[ ! -s "$E2E_TMP/out" ] || die "stdout: $(cat "$E2E_TMP/out")"
rc=0
"$kmodx" udev on off >/dev/null 2>"$E2E_TMP/err" || rc=$?
assert_eq "$rc" 1 "exit status of two actions"
"$kmodx" udev --help >"$E2E_TMP/out" || die "kmodx udev --help failed"
grep -q '^Usage: kmodx udev' "$E2E_TMP/out" || die "--help: $(cat "$E2E_TMP/out")"

command -v setpriv >/dev/null || skip "setpriv missing"
[ "$(id -u)" -eq 0 ] || skip "needs root to become another user"
setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$kmodx" || skip "the unprivileged user cannot run $kmodx"
before=$(ls -la /etc/udev/rules.d 2>&1 || true)
for a in on off preset; do
    rc=0
    setpriv --reuid=65534 --regid=65534 --clear-groups "$kmodx" udev "$a" >/dev/null 2>"$E2E_TMP/err" || rc=$?
    assert_eq "$rc" 1 "exit status of a user's 'udev $a'"
    assert_eq "$(cat "$E2E_TMP/err")" \
        "kmodx: udev $a needs root: /etc/udev/rules.d/80-drivers.rules is root's (run it with sudo)" "its message"
done
assert_eq "$(ls -la /etc/udev/rules.d 2>&1 || true)" "$before" "/etc/udev/rules.d after the refusals"
echo ok
