#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The kernel's call (`modprobe -q -- NAME`) is answered without loading
# libkmod (nor libcrypto with it) when nothing in the configuration concerns
# NAME or its dependencies: for a live module, and for a cold load planned
# from modules.dep. The dynamic loader's own trace shows what the process
# mapped. Every answer is recorded in the stats store as on the full path. A
# configuration line for one of the modules sends the call through libkmod,
# which the same trace then shows, and its options are applied (the check
# can fail both ways).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

ROOT=$(stats_root)
run_kmodx "$ROOT" modprobe evdev
assert_rc 0
# A config file masked by a link to /dev/null reads as empty, as libkmod reads it.
ln -s /dev/null "$ROOT/etc/modprobe.d/masked.conf"

no_libkmod() {
    case $ERR in *"calling init: "*) ;; *) die "no loader trace on stderr: $ERR" ;; esac
    # (liblzma and libzstd come with the simulated kernel's shim here.)
    for lib in libkmod.so.2 libcrypto.so.3; do
        case $ERR in *"$lib"*) die "$1 loaded $lib" ;; esac
    done
}

SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- evdev
assert_rc 0
assert_out_eq ""
no_libkmod "the already-live call"
assert_eq "$(stats_count "$ROOT" '$1=="evdev" && $2=="already_live"')" 1 "already-live events for evdev"
assert_eq "$(stats_count "$ROOT" '$1=="evdev" && $2=="loaded"')" 1 "loads of evdev"

# Cold: chain_c (with chain_d and chain_e) is live first, so the plan is
# chain_b then chain_a; the live ones are skipped in silence, as libkmod's
# plan skips them.
run_kmodx "$ROOT" modprobe chain_c
assert_rc 0
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- chain-a
assert_rc 0
assert_out_eq ""
no_libkmod "the cold call"
order=$(awk -F'\t' '$3=="finit_module" {printf "%s ", $4}' "$ROOT/.simkernel/calls.log")
assert_eq "$order" "evdev chain_e chain_d chain_c chain_b chain_a " "load calls in order"
for m in chain_a chain_b; do
    assert_eq "$(stats_count "$ROOT" "\$1==\"$m\" && \$2==\"loaded\"")" 1 "loads of $m"
done
assert_eq "$(stats_count "$ROOT" '$1 ~ /^chain_[cde]$/ && $2=="already_live"')" 0 "already-live events for chain_c..e"

# A config line for the module: libkmod plans it, with its options.
echo "options param_mod int_param=6" >"$ROOT/etc/modprobe.d/p.conf"
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- param_mod
assert_rc 0
case $ERR in *"libkmod.so.2"*) ;; *) die "a module with options did not load libkmod: $ERR" ;; esac
assert_eq "$(cat "$ROOT/sys/module/param_mod/parameters/int_param")" 6 "int_param"
# So does an option on the kernel command line for one of the modules.
echo "quiet irqbypass.x=1" >"$ROOT/proc/cmdline"
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- kvm
assert_rc 0
case $ERR in *"libkmod.so.2"*) ;; *) die "kvm with a command line option for irqbypass did not load libkmod: $ERR" ;; esac
grep -q "^kvm " "$ROOT/proc/modules" || die "kvm not loaded"

# An alias whose modules are all live (kvm's char-major-10-232; two modules
# for crypto-sha512): no libkmod, one already-live event per module. An
# alias line for it in modprobe.d sends it through libkmod again.
: >"$ROOT/proc/cmdline"
run_kmodx "$ROOT" modprobe sha512_ssse3
run_kmodx "$ROOT" modprobe sha512_generic
before=$(stats_count "$ROOT" '$1=="kvm" && $2=="already_live"')
sha_before=$(stats_count "$ROOT" '$1 ~ /^sha512_(ssse3|generic)$/ && $2=="already_live"')
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- char-major-10-232
assert_rc 0
assert_out_eq ""
no_libkmod "the live alias call"
assert_eq "$(stats_count "$ROOT" '$1=="kvm" && $2=="already_live"')" $((before + 1)) "already-live events for kvm"
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- crypto-sha512
assert_rc 0
no_libkmod "the live alias call for two modules"
assert_eq "$(stats_count "$ROOT" '$1 ~ /^sha512_(ssse3|generic)$/ && $2=="already_live"')" $((sha_before + 2)) "already-live events for crypto-sha512"
echo "alias char-major-10-232 evdev" >"$ROOT/etc/modprobe.d/a.conf"
SIM_ENV="LD_DEBUG=libs" run_kmodx "$ROOT" modprobe -q -- char-major-10-232
assert_rc 0
case $ERR in *"libkmod.so.2"*) ;; *) die "an alias redirected in modprobe.d did not load libkmod: $ERR" ;; esac
echo "ok"
