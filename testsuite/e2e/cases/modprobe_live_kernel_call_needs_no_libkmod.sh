#!/bin/sh
# The kernel's call for a module that is already live is answered without
# loading libkmod (nor libcrypto, liblzma, libzstd with it): the dynamic
# loader's own trace shows what the process mapped. The answer is recorded in
# the stats store like any other already-live request. A module that is not
# live needs libkmod, which the same trace then shows (the check can fail).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

ROOT=$(stats_root)
run_kmodx "$ROOT" modprobe evdev
assert_rc 0
# A config file masked by a link to /dev/null reads as empty, as libkmod reads it.
ln -s /dev/null "$ROOT/etc/modprobe.d/masked.conf"

SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- evdev
assert_rc 0
assert_out_eq ""
case $ERR in *"calling init: "*) ;; *) die "no loader trace on stderr: $ERR" ;; esac
# (liblzma and libzstd come with the simulated kernel's shim here.)
for lib in libkmod.so.2 libcrypto.so.3; do
    case $ERR in *"$lib"*) die "the already-live call loaded $lib" ;; esac
done
assert_eq "$(stats_count "$ROOT" '$1=="evdev" && $2=="already_live"')" 1 "already-live events for evdev"
assert_eq "$(stats_count "$ROOT" '$1=="evdev" && $2=="loaded"')" 1 "loads of evdev"

SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- irqbypass
assert_rc 0
case $ERR in *"libkmod.so.2"*) ;; *) die "loading irqbypass did not load libkmod: $ERR" ;; esac
grep -q "^irqbypass " "$ROOT/proc/modules" || die "irqbypass not loaded"
echo "ok"
