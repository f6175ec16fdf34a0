#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `modprobe --stats` over a store holding known events (written by stats-gen
# through the store's own append): the kernel's debugfs figures computed by
# its byte rules, then kmodx's sections; --boot=-1 after --stats-archive and a
# new boot; --stats-reset; a non-root user may read but not reset.
. "$(dirname "$0")/../lib.sh"

GEN="$KMODX_BUILD/testsuite/stats/stats-gen"
[ -x "$GEN" ] || die "stats-gen not built ($GEN)"
TAB=$(printf '\t')

ROOT=$(new_root)
mkdir -p "$ROOT/proc/sys/kernel/random" "$ROOT/run" "$ROOT/var/lib"
set_boot() { echo "$1" >"$ROOT/proc/sys/kernel/random/boot_id"; }
set_boot 11111111-1111-4111-8111-111111111111

sim_run "$ROOT" "$GEN" <<'SPEC' || die "stats-gen failed"
module=nvme outcome=loaded requester=udev comm=(udev-worker) module_bytes=1000 text_bytes=300 syscall_ns=30000000
module=nvme outcome=suppressed count=5 requester=udev comm=(udev-worker) read=700 alloc=2100
module=nvme outcome=suppressed_failure err=ENODEV requester=kernel comm=kworker/u16:0 read=700 alloc=700
module=kvm_intel outcome=failed_kernel err=EOPNOTSUPP count=3 requester=kernel comm=kworker/u16:0 image=9000
module=kvm_intel outcome=suppressed_failure err=EOPNOTSUPP count=4 requester=udev comm=(udev-worker) read=9000 alloc=9000
module=net-pf-10 outcome=not_found err=ENOENT count=2 requester=kernel comm=kworker/u16:0
module=kvm outcome=duplicate_in_kernel err=EBUSY requester=systemd comm=systemd image=4000 alloc=4000
module=kvm outcome=duplicate_in_kernel err=EEXIST requester=systemd comm=systemd image=4000 alloc=8000
module=xz_mod outcome=loaded requester=user comm=bash format=xz path=userspace file=100 image=400 decompress_ns=2000000 module_bytes=350 text_bytes=101
module=chain_a outcome=removed tool=rmmod requester=user comm=bash taint=OE count=2
module=evdev outcome=failed_read err=ENOENT requester=user comm=bash file=64
module=loop outcome=loaded requester=other comm=sh module_bytes=10 text_bytes=0 degraded=1 reason=runtime-dir-read-only
SPEC

run_kmodx "$ROOT" modprobe --stats
assert_rc 0
# The debugfs section, byte for byte for the lines it must hold.
expect_line() {
    printf '%s\n' "$OUT" | grep -qxF "$1" || die "no line '$1' in:
$OUT"
}
expect_line "         Mods ever loaded${TAB}3"
expect_line "     Mods failed on kread${TAB}1"
expect_line "  Mods failed on becoming${TAB}1"
expect_line "      Mods failed on load${TAB}1"
expect_line "        Total module size${TAB}1360"
expect_line "      Total mod text size${TAB}401"
expect_line "       Failed kread bytes${TAB}64"
expect_line "    Failed becoming bytes${TAB}4000"
expect_line "        Failed kmod bytes${TAB}8000"
expect_line " Virtual mem wasted bytes${TAB}12064"
expect_line "         Average mod size${TAB}454"
expect_line "    Average mod text size${TAB}134"
expect_line "Duplicate failed modules:"
expect_line "                      kvm${TAB}              2${TAB}          Becoming & Load"
# kvm_intel's own init failed: the kernel does not count it.
printf '%s\n' "$OUT" | sed -n '1,/^$/p' | grep -q kvm_intel && die "init failure in the debugfs section"
# The first section ends at the first blank line, as the kernel's file does.
first=$(printf '%s\n' "$OUT" | sed -n '1,/^$/p' | grep -c .)
assert_eq "$first" 20 "lines in the debugfs section"

# kmodx's sections.
expect_line "                     nvme${TAB}              5${TAB}              1${TAB}           1400${TAB}           2800"
# Failed counts what callers saw, cached failures too (Cached-fail: of
# them); not_found apart.
expect_line "                     udev${TAB}             10${TAB}              1${TAB}              0${TAB}              5${TAB}              0${TAB}              4${TAB}              4${TAB}              0"
expect_line "                   kernel${TAB}              6${TAB}              0${TAB}              0${TAB}              0${TAB}              0${TAB}              4${TAB}              1${TAB}              2"
expect_line "                  systemd${TAB}              2${TAB}              0${TAB}              0${TAB}              0${TAB}              2${TAB}              0${TAB}              0${TAB}              0"
expect_line "udev parents: (udev-worker) (10)"
expect_line "                       xz${TAB}      userspace${TAB}              1${TAB}            100${TAB}            400${TAB}          2.000"
expect_line "                kvm_intel${TAB}  failed_kernel${TAB}     EOPNOTSUPP${TAB}              7${TAB}              4${TAB}udev:4,kernel:3${TAB}Operation not supported"
expect_line "                    evdev${TAB}    failed_read${TAB}         ENOENT${TAB}              1${TAB}              0${TAB}         user:1${TAB}No such file or directory"
expect_line "                     nvme${TAB}suppressed_failure${TAB}         ENODEV${TAB}              1${TAB}              1${TAB}       kernel:1${TAB}No such device"
expect_line "                net-pf-10${TAB}              2${TAB}       kernel:2"
expect_line "                  chain_a${TAB}             OE${TAB}              2"
expect_line "                 no_dedup${TAB}              1${TAB}runtime-dir-read-only"
# Slowest first: nvme's 30 ms syscall.
slow=$(printf '%s\n' "$OUT" | sed -n '/^Slowest loads:/{n;n;p;}')
assert_eq "$slow" "                     nvme${TAB}         30.000${TAB}          0.000${TAB}          0.000${TAB}          0.000${TAB}         30.000${TAB}           udev" "slowest load"

# JSON carries the same figures.
run_kmodx "$ROOT" modprobe --stats=json
assert_rc 0
printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["debugfs"]["mods_ever_loaded"] == 3, d["debugfs"]
assert d["outcomes"]["suppressed"] == 5 and d["outcomes"]["removed"] == 2, d["outcomes"]
assert d["debugfs"]["duplicate_failed_modules"] == [{"module": "kvm", "count": 2, "reason": "Becoming & Load"}]
assert d["boot"]["boot_id"] == "11111111-1111-4111-8111-111111111111"
' || die "JSON figures differ: $OUT"

# A non-root user reads (--stats is read-only) but cannot reset. Only where
# that user can reach the machine root and the binary at all: a checkout
# under a private directory (mktemp -d makes them 0700) hides both, and the
# user would then see another store, or none.
chmod 755 "$E2E_TMP" "$ROOT"
if setpriv --reuid=65534 --regid=65534 --clear-groups \
    sh -c 'test -r "$1" && test -x "$2"' sh "$ROOT/proc/sys/kernel/random/boot_id" "$KMODX_BUILD/tools/modprobe"; then
    SIM_ENV= sim_run "$ROOT" setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$KMODX_BUILD/tools/modprobe" --stats >"$E2E_TMP/user.out" 2>"$E2E_TMP/user.err" || die "non-root --stats failed: $(cat "$E2E_TMP/user.err")"
    grep -qxF "         Mods ever loaded${TAB}3" "$E2E_TMP/user.out" || die "non-root --stats: $(cat "$E2E_TMP/user.out")"
    rc=0
    sim_run "$ROOT" setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$KMODX_BUILD/tools/modprobe" --stats-reset >/dev/null 2>"$E2E_TMP/user.err" || rc=$?
    assert_eq "$rc" 1 "non-root --stats-reset exit status"
    assert_eq "$(wc -l <"$E2E_TMP/user.err")" 1 "lines of the non-root reset error"
    grep -qxF "modprobe: ERROR: --stats-reset needs root: the stats store is root's (run it with sudo)" "$E2E_TMP/user.err" ||
        die "reset error: $(cat "$E2E_TMP/user.err")"
else
    echo "note: a non-root user cannot reach $ROOT; non-root --stats not checked"
fi

# No boot archived yet: the error says what keeps them.
run_kmodx "$ROOT" modprobe --stats --boot=-1
assert_rc 1
assert_err_contains "modprobe: ERROR: no stats for boot -1: "
assert_err_contains "(earlier boots are kept by kmodx-stats-archive.service: systemctl enable --now kmodx-stats-archive.service)"

# Archive this boot, boot again: --boot=-1 is the first boot, 0 the new one.
run_kmodx "$ROOT" modprobe --stats-archive
assert_rc 0
set_boot 22222222-2222-4222-8222-222222222222
echo "module=dm_mod outcome=loaded requester=kernel comm=kthreadd module_bytes=5" | sim_run "$ROOT" "$GEN" || die "stats-gen failed"
run_kmodx "$ROOT" modprobe --stats
assert_rc 0
expect_line "         Mods ever loaded${TAB}1"
expect_line "                  Boot id${TAB}22222222-2222-4222-8222-222222222222"
printf '%s\n' "$OUT" | grep -qE "^            Store created${TAB}[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC$" ||
    die "no store creation date in: $OUT"
run_kmodx "$ROOT" modprobe --stats --boot=-1
assert_rc 0
expect_line "         Mods ever loaded${TAB}3"
expect_line "                     Boot${TAB}             -1"
expect_line "                  Boot id${TAB}11111111-1111-4111-8111-111111111111"
run_kmodx "$ROOT" modprobe --stats --boot=-2
assert_rc 1
assert_err_contains "modprobe: ERROR: no stats for boot -2"
assert_err_contains "(earlier boots are kept by kmodx-stats-archive.service: systemctl enable --now kmodx-stats-archive.service)"
assert_eq "$(printf '%s' "$ERR" | wc -l)" 1 "lines of the error"

# Reset empties this boot only.
run_kmodx "$ROOT" modprobe --stats-reset
assert_rc 0
run_kmodx "$ROOT" modprobe --stats
expect_line "         Mods ever loaded${TAB}0"
expect_line "                   Events${TAB}              0"
run_kmodx "$ROOT" modprobe --stats --boot=-1
expect_line "         Mods ever loaded${TAB}3"

# Bad values: one line, exit 1.
run_kmodx "$ROOT" modprobe --stats=yaml
assert_rc 1
assert_err_eq "modprobe: ERROR: unknown --stats format 'yaml': use text, json, prometheus, html or svg
"
