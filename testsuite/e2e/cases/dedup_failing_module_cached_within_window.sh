#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A module that fails (evdev with ENODEV) under a storm of 16 requests: one
# load syscall inside the failure window, every process exits 1 with kmod's
# message; after the window (0 here: off) a new request tries again, and
# neither a request with other parameters nor one from a person at a
# terminal is given the cached failure.
. "$(dirname "$0")/../lib.sh"


ROOT=$(new_root)
mkdir -p "$ROOT/.simkernel"
printf 'load_ns_base=20ms\nfail.evdev=ENODEV\n' >"$ROOT/.simkernel/config"
run_stock "$ROOT" modprobe evdev
assert_rc 1
expected=$ERR
[ -n "$expected" ] || die "stock kmod printed nothing"

ROOT=$(new_root)
mkdir -p "$ROOT/run" "$ROOT/.simkernel"
printf 'load_ns_base=20ms\nfail.evdev=ENODEV\n' >"$ROOT/.simkernel/config"
storm 16 "$ROOT" "$KMODX_BUILD/tools/modprobe" evdev
i=0
while [ "$i" -lt 16 ]; do
    i=$((i + 1))
    assert_eq "$(cat "$E2E_TMP/s.$i.rc")" 1 "exit status of process $i"
    ERR=$(cat "$E2E_TMP/s.$i.err"; echo x); ERR=${ERR%x}
    assert_eq "$ERR" "$expected" "stderr of process $i"
done
assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls inside the window"

# Still inside the window: answered from the record, with -v saying so.
run_kmodx "$ROOT" modprobe -v evdev
assert_rc 1
assert_err_contains "modprobe: NOTICE: evdev failed in pid "
assert_eq "$(load_calls "$ROOT" evdev)" 1 "load syscalls inside the window"

# A person at a terminal (script(1) gives the request a pty as its
# controlling terminal) asks again inside the window: a real attempt, kmod's
# own message. (A terminal that is not the session's own, as /dev/console
# at boot, does not count: the vm storm checks that.)
rc=0
SIM_ENV= script -qec "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ LANG=C.UTF-8 \
    ${SIMKERNEL_LIB:+SIMKERNEL_LIB=$SIMKERNEL_LIB} timeout -k 5 $E2E_TIMEOUT $SIMRUN $ROOT \
    $KMODX_BUILD/tools/modprobe evdev" "$E2E_TMP/typescript" </dev/null >"$E2E_TMP/tty.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit status at a terminal"
assert_eq "$(tr -d '\r' <"$E2E_TMP/tty.out")" "${expected%
}" "what the terminal showed"
assert_eq "$(load_calls "$ROOT" evdev)" 2 "load syscalls of a request from a terminal"

# Other parameters: a request of its own.
run_kmodx "$ROOT" modprobe evdev foo=1
assert_rc 1
assert_eq "$(load_calls "$ROOT" evdev)" 3 "load syscalls with other parameters"

# --no-dedup: always the kernel.
run_kmodx "$ROOT" modprobe --no-dedup evdev
assert_rc 1
assert_eq "$(load_calls "$ROOT" evdev)" 4 "load syscalls with --no-dedup"

# After the window (KMODX_FAIL_WINDOW_S=0 turns it off): tried again.
SIM_ENV=KMODX_FAIL_WINDOW_S=0
run_kmodx "$ROOT" modprobe -q evdev
SIM_ENV=
assert_rc 1
assert_eq "$(load_calls "$ROOT" evdev)" 5 "load syscalls after the window"
echo "ok"
