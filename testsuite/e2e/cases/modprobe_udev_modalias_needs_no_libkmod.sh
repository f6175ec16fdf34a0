#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# udev's call (`modprobe -bq MODALIAS`) is answered without loading libkmod
# when every module the modalias's patterns give is live, when it names only
# builtin modules, and when it names none (most devices). The stats store
# gets what the libkmod path records for the same call: one already-live
# event per module it lists (virtio-net's modalias lists virtio_pci twice),
# nothing for builtin or unknown ones. Modules that are not live
# are planned from modules.dep and loaded without libkmod too, with the load
# calls and the stats events of the libkmod path (a call not quiet, on a
# machine of its own in the same state); a blacklist for one of them sends
# the call through libkmod, which the loader's trace then shows.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

ROOT=$(stats_root)
NET=pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00
CPU='cpu:type:x86,ven0000fam0006mod003F:feature:,0081,0085,0089'

libkmod_loaded() { case $ERR in *"libkmod.so.2"*) return 0 ;; esac; return 1; }
no_libkmod() {
    case $ERR in *"calling init: "*) ;; *) die "no loader trace on stderr: $ERR" ;; esac
    ! libkmod_loaded || die "$1 loaded libkmod"
}
live_events() { stats_count "$ROOT" "\$1==\"$1\" && \$2==\"already_live\""; }

run_kmodx "$ROOT" modprobe -a virtio_pci kvm_intel crct10dif_pclmul ghash_clmulni_intel crc32_pclmul sha512_ssse3
assert_rc 0

# The same call through libkmod (not quiet, so not udev's) sets the count
# the answer without libkmod must match.
before=$(live_events virtio_pci)
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -b "$NET"
assert_rc 0
libkmod_loaded || die "the verbose call did not go through libkmod"
per_call=$(( $(live_events virtio_pci) - before ))
assert_eq "$per_call" 2 "already-live events for virtio_pci through libkmod"

SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -bq "$NET"
assert_rc 0
assert_out_eq ""
no_libkmod "the live device modalias"
assert_eq "$(( $(live_events virtio_pci) - before - per_call ))" "$per_call" "already-live events for virtio_pci"

for m in kvm_intel crct10dif_pclmul ghash_clmulni_intel crc32_pclmul sha512_ssse3; do
    eval "before_$m=\$(live_events $m)"
done
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -bq "$CPU"
assert_rc 0
no_libkmod "the live CPU modalias"
for m in kvm_intel crct10dif_pclmul ghash_clmulni_intel crc32_pclmul sha512_ssse3; do
    eval "b=\$before_$m"
    assert_eq "$(( $(live_events $m) - b ))" 1 "already-live events for $m"
done

# No module: exit 1 in silence, nothing recorded (a device without a
# driver is no failed request; stats' not_found is for names and aliases).
events=$(stats_events "$ROOT" | wc -l)
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -bq pci:v00008086d00007000sv00000000sd00000000bc06sc01i00
assert_rc 1
assert_out_eq ""
no_libkmod "the unknown modalias"
case $ERR in *"not found"*) die "the quiet call printed: $ERR" ;; esac
# Builtin only (virtio_blk is builtin here): exit 0, nothing recorded.
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -bq virtio:d00000002v00001AF4
assert_rc 0
no_libkmod "the builtin modalias"
assert_eq "$(stats_events "$ROOT" | wc -l)" "$events" "events recorded for unknown and builtin modaliases"

# Cold: the same call answered without libkmod (-bq) and through it (-b,
# not quiet) on two machines in the same state must load the same modules
# in the same order and record the same events. Loads, one line each.
loads() { awk -F'\t' '$3 ~ /^f?init(_module)?$/ {print $4, $5}' "$1/.simkernel/calls.log" 2>/dev/null; }
events() { stats_events "$1" | awk '{print $1, $2, $4, $7, $9}'; }
# cold_pair NAME SETUP_MODULES...: roots $A (kmodx -bq) and $B (kmodx -b)
# after SETUP_MODULES were loaded; the calls and events of the setup left out.
cold_pair() {
    local name=$1; shift
    A=$(stats_root) B=$(stats_root)
    for r in "$A" "$B"; do
        [ -z "${FAIL:-}" ] || echo "$FAIL" >>"$r/.simkernel/config"
        if [ $# -gt 0 ]; then run_kmodx "$r" modprobe -a "$@"; assert_rc 0; fi
        loads "$r" >"$r/setup.loads"; events "$r" >"$r/setup.events"
    done
    SIM_ENV="LD_DEBUG=libs" run_kmodx "$A" modprobe -bq "$name"
    A_RC=$RC
    assert_out_eq ""
    no_libkmod "the cold call for $name"
    SIM_ENV="LD_DEBUG=libs" run_kmodx "$B" modprobe -b "$name"
    libkmod_loaded || die "the verbose call for $name did not go through libkmod"
    assert_eq "$A_RC" "$RC" "exit status without and through libkmod for $name"
    for r in "$A" "$B"; do
        loads "$r" | tail -n +$(( $(wc -l <"$r/setup.loads") + 1 )) >"$r/call.loads"
        events "$r" | tail -n +$(( $(wc -l <"$r/setup.events") + 1 )) >"$r/call.events"
    done
    cmp -s "$A/call.loads" "$B/call.loads" ||
        die "load calls for $name differ (- libkmod, + without): $(diff "$B/call.loads" "$A/call.loads")"
    cmp -s "$A/call.events" "$B/call.events" ||
        die "events for $name differ (- libkmod, + without): $(diff "$B/call.events" "$A/call.events")"
}

# virtio-net's modalias lists virtio_pci twice: its plan, then an
# already-live event for the second probe.
cold_pair "$NET"
assert_eq "$(cat "$A/call.loads")" "virtio_pci_legacy_dev 0
virtio_pci_modern_dev 0
virtio_ring 0
virtio 0
virtio_pci 0" "load calls for the cold device modalias"
assert_eq "$(awk '{print $1, $2}' "$A/call.events")" "virtio_pci_legacy_dev loaded
virtio_pci_modern_dev loaded
virtio_ring loaded
virtio loaded
virtio_pci loaded
virtio_pci already_live" "events for the cold device modalias"

# The CPU modalias with some modules and dependencies live, the kernel
# refusing the first module: the others loaded in the list's order, each
# live one an already_live event, the exit status the last probe's.
FAIL=fail.kvm_intel=ENODEV cold_pair "$CPU" crc32_pclmul cryptd irqbypass sha512_ssse3
assert_eq "$A_RC" 0 "exit status with the first module refused"
assert_eq "$(cat "$A/call.loads")" "kvm 0
kvm_intel -1
crct10dif_pclmul 0
ghash_clmulni_intel 0" "load calls for the cold CPU modalias"
assert_eq "$(awk '$2 == "already_live" {print $1}' "$A/call.events" | tr '\n' ' ')" "sha512_ssse3 crc32_pclmul " \
    "already-live events for the cold CPU modalias"

# The same with the last module refused: exit 1.
FAIL=fail.crc32_pclmul=EINVAL cold_pair "$CPU" cryptd
assert_eq "$A_RC" 1 "exit status with the last module refused"

# A blacklist for one module of the list (kmod checks it for a module
# reached through an alias, -b or not): libkmod's to apply.
C=$(stats_root)
echo "blacklist ghash_clmulni_intel" >"$C/etc/modprobe.d/b.conf"
SIM_ENV="LD_DEBUG=libs" run_kmodx "$C" modprobe -q -- "$CPU"
assert_rc 0
libkmod_loaded || die "a cold modalias with a blacklisted module did not go through libkmod"
grep -q "^ghash_clmulni_intel " "$C/proc/modules" && die "ghash_clmulni_intel loaded despite its blacklist"
grep -q "^sha512_ssse3 " "$C/proc/modules" || die "sha512_ssse3 not loaded"
echo "ok"
