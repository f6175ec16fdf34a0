#!/bin/sh
# udev's call (`modprobe -bq MODALIAS`) is answered without loading libkmod
# when every module the modalias's patterns give is live, when it names only
# builtin modules, and when it names none (most devices). The stats store
# gets what the libkmod path records for the same call: one already-live
# event per module it lists (virtio-net's modalias lists virtio_pci twice),
# nothing for builtin or unknown ones. A module that is not live sends the
# call through libkmod, which the loader's trace then shows.
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

# No module: exit 1 in silence, nothing recorded.
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

# nvme is not live: libkmod plans its load.
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -bq pci:v0000144Dd0000A802sv0000144Dsd0000A801bc01sc08i02
assert_rc 0
libkmod_loaded || die "a modalias of a module that is not live did not go through libkmod"
grep -q "^nvme " "$ROOT/proc/modules" || die "nvme not loaded"
echo "ok"
