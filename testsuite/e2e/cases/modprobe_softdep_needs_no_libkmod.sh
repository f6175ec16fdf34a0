#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A cold load whose modules have softdeps is planned without libkmod (nor
# libcrypto with it): xfs needs libcrc32c, whose modinfo asks for crc32c
# first (modules.softdep), an alias of crc32c_intel, the case of Debian's
# ceph, btrfs and xfs. The dynamic loader's trace shows what the process
# mapped; the load calls come in libkmod's order. softdep_main's pre and
# post softdeps come around it, a failing softdep module is passed over as
# libkmod passes it over, and an install command for a softdep module
# brings libkmod back (the check can fail both ways).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

no_libkmod() {
    case $ERR in *"calling init: "*) ;; *) die "no loader trace on stderr: $ERR" ;; esac
    # (liblzma and libzstd come with the simulated kernel's shim here.)
    for lib in libkmod.so.2 libcrypto.so.3; do
        case $ERR in *"$lib"*) die "$1 loaded $lib" ;; esac
    done
}
loads() { awk -F'\t' '$3=="finit_module" {printf "%s ", $4}' "$ROOT/.simkernel/calls.log"; }

ROOT=$(stats_root)
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- xfs
assert_rc 0
assert_out_eq ""
no_libkmod "the cold xfs call"
assert_eq "$(loads)" "crc32c_intel libcrc32c xfs " "load calls in order"
for m in crc32c_intel libcrc32c xfs; do
    assert_eq "$(stats_count "$ROOT" "\$1==\"$m\" && \$2==\"loaded\"")" 1 "loads of $m"
done

# Pre and post softdeps, the pre one failing: ignored, as libkmod ignores it.
echo fail.softdep_pre=ENODEV >>"$ROOT/.simkernel/config"
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- softdep_main
assert_rc 0
assert_out_eq ""
no_libkmod "the call with a failing softdep"
assert_eq "$(loads)" "crc32c_intel libcrc32c xfs softdep_pre softdep_main softdep_post " "load calls in order"
grep -q "^softdep_pre " "$ROOT/proc/modules" && die "softdep_pre loaded although it fails"
grep -q "^softdep_post " "$ROOT/proc/modules" || die "softdep_post not loaded"

# A softdep naming an alias of two modules (sha384), from modprobe.d.
echo "softdep evdev post: sha384" >"$ROOT/etc/modprobe.d/s.conf"
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- evdev
assert_rc 0
no_libkmod "the call with a softdep alias"
for m in evdev sha512_ssse3 sha512_generic; do
    grep -q "^$m " "$ROOT/proc/modules" || die "$m not loaded"
done

# An install command for a softdep module: libkmod runs it.
echo "softdep serio_raw pre: irqbypass" >"$ROOT/etc/modprobe.d/s.conf"
echo "install irqbypass echo installing irqbypass" >"$ROOT/etc/modprobe.d/i.conf"
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- serio_raw
assert_rc 0
case $ERR in *"libkmod.so.2"*) ;; *) die "an install command for a softdep did not load libkmod: $ERR" ;; esac
case $OUT in *"installing irqbypass"*) ;; *) die "the install command did not run: $OUT" ;; esac
grep -q "^irqbypass " "$ROOT/proc/modules" && die "irqbypass loaded instead of its install command"
grep -q "^serio_raw " "$ROOT/proc/modules" || die "serio_raw not loaded"
echo "ok"
