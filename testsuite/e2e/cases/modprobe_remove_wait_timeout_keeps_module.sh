#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# modprobe -r -w MSEC on a module that stays in use: kmod 30 ends its retry
# loop with the last sleep's success, so the module stays, nothing is printed
# and the exit status is 0. (Stock kmod 30 can also spin forever there when
# the clock overshoots the deadline, which is why this is not a differential
# row.) kmodx must give up on time.
. "$(dirname "$0")/../lib.sh"

ROOT=$(new_root)
run_stock "$ROOT" modprobe chain_b
assert_rc 0

start=$(date +%s)
run_kmodx "$ROOT" modprobe -r -w 300 chain_c
end=$(date +%s)
assert_rc 0
assert_out_eq ""
assert_err_eq ""
[ $((end - start)) -lt 10 ] || die "took $((end - start))s for a 300 ms wait"

# chain_c is still there (held by chain_b), and the kernel was asked more
# than once: the wait retried.
run_kmodx "$ROOT" lsmod
assert_out_contains "chain_c"
tries=$(awk -F'\t' '$3=="delete_module" && $4=="chain_c"' "$ROOT/.simkernel/calls.log" | wc -l)
[ "$tries" -ge 2 ] || die "delete_module(chain_c) called $tries time(s), expected retries"

# Without -w the same removal is refused before reaching the kernel.
run_kmodx "$ROOT" modprobe -r chain_c
assert_rc 1
assert_err_eq "modprobe: FATAL: Module chain_c is in use.
"
echo "ok"
