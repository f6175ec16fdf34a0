#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs one row of a differential table: the same setup and commands with
# Debian's kmod in one fresh machine and kmodx in another; stdout, stderr,
# exit status and the resulting kernel state must be identical.
# Usage: diff_row.sh TABLE TEST_NAME
# Row format: name | setup shell ($ROOT is the machine) | tool args [;; tool args ...]
. "$(dirname "$0")/lib.sh"

table=$1 name=$2
row=$(awk -F'|' -v n="$name" '{k=$1; gsub(/^[ \t]+|[ \t]+$/, "", k)} k==n {print; exit}' "$table")
[ -n "$row" ] || die "no row '$name' in $table"
setup=$(printf '%s' "$row" | cut -d'|' -f2)
commands=$(printf '%s' "$row" | cut -d'|' -f3-)

stock_root=$(new_root)
kmodx_root=$(new_root)
for ROOT in "$stock_root" "$kmodx_root"; do
    export ROOT
    sh -ec "$setup" || die "setup failed: $setup"
done

# The program's own path (argv[0], in getopt's messages and kmod 30's lsmod
# usage line) differs between the two installations: both read <PROG>/.
normalize() {
    sed -e "s#$stock_root#<ROOT>#g" -e "s#$kmodx_root#<ROOT>#g" \
        -e "s#$E2E_TMP/stock/#<PROG>/#g" -e "s#$KMODX_BUILD/tools/#<PROG>/#g"
}

status=0 step=0
printf '%s\n' "$commands" | awk 'BEGIN{RS=";;"} {gsub(/^[ \t\n]+|[ \t\n]+$/, ""); if ($0 != "") print}' >"$E2E_TMP/steps"
while IFS= read -r cmd; do
    step=$((step + 1))
    # Quoting and $ROOT expand as in a shell, separately for each machine.
    ROOT=$stock_root; eval "set -- $cmd"; tool=$1; shift
    run_stock "$stock_root" "$tool" "$@"
    s_out=$OUT s_err=$ERR s_rc=$RC
    ROOT=$kmodx_root; eval "set -- $cmd"; shift
    run_kmodx "$kmodx_root" "$tool" "$@"
    k_out=$OUT k_err=$ERR k_rc=$RC
    printf '%s' "$s_out" | normalize >"$E2E_TMP/s.out"; printf '%s' "$k_out" | normalize >"$E2E_TMP/k.out"
    printf '%s' "$s_err" | normalize >"$E2E_TMP/s.err"; printf '%s' "$k_err" | normalize >"$E2E_TMP/k.err"
    kernel_state "$stock_root" >"$E2E_TMP/s.state"; kernel_state "$kmodx_root" >"$E2E_TMP/k.state"
    for what in out err state; do
        if ! cmp -s "$E2E_TMP/s.$what" "$E2E_TMP/k.$what"; then
            echo "step $step ($cmd): $what differs (- kmod, + kmodx)"
            diff -u "$E2E_TMP/s.$what" "$E2E_TMP/k.$what" | tail -n +3 | head -40
            status=1
        fi
    done
    if [ "$s_rc" != "$k_rc" ]; then
        echo "step $step ($cmd): exit status kmod=$s_rc kmodx=$k_rc"
        status=1
    fi
done <"$E2E_TMP/steps"
[ "$status" -eq 0 ] && echo "ok: $step step(s) identical"
exit "$status"
