#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# getopt's messages carry argv[0] (a path that differs between the two
# installations); apart from it they and the exit status match kmod 30's.
. "$(dirname "$0")/../lib.sh"
ROOT=$(new_root)
check() {
    run_stock "$ROOT" "$@"
    s_out=$OUT s_err=$(printf '%s' "$ERR" | sed "s#$E2E_TMP/stock/#ARGV0:#g") s_rc=$RC
    run_kmodx "$ROOT" "$@"
    k_err=$(printf '%s' "$ERR" | sed "s#$KMODX_BUILD/tools/#ARGV0:#g")
    assert_eq "$OUT" "$s_out" "stdout of $*"
    assert_eq "$k_err" "$s_err" "stderr of $*"
    assert_eq "$RC" "$s_rc" "exit status of $*"
}
check modinfo -x kvm
check modinfo -F
check modinfo --nosuch kvm
check modinfo --field
check rmmod -x kvm
check rmmod --wait kvm
check insmod -x foo.ko
check insmod --nosuch foo.ko
check lsmod extra
check lsmod -h
