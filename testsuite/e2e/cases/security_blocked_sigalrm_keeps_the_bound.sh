#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# docs/security.md, attack 5: the lock wait is bounded by SIGALRM, and a signal mask
# survives exec. A parent that runs modprobe with SIGALRM blocked (or
# ignored) must not make the wait unbounded: behind a holder stuck without
# a record (a root process holding the lock stands in for it), the waiter
# gives up at its 1 s bound and loads, as with a clean mask.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"
. "$(dirname "$0")/../security_lib.sh"

ROOT=$(stats_root)
run_kmodx "$ROOT" modprobe -q -- irqbypass
assert_rc 0
lock=$ROOT/run/kmodx/locks/evdev
: >"$lock"
chmod 600 "$lock"
stuck_root_holder "$lock"

# A parent that blocks (or ignores) SIGALRM and execs modprobe.
parent='
import os, signal, sys
if sys.argv[1] == "block":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
else:
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
os.execv(sys.argv[2], sys.argv[2:])'

for how in block ignore; do
    SIM_ENV=KMODX_LOCK_WAIT_MS=1000 E2E_TIMEOUT=20 \
        run_in "$ROOT" python3 -c "$parent" "$how" "$KMODX_BUILD/tools/modprobe" -v evdev
    assert_rc 0
    assert_err_contains "modprobe: NOTICE: evdev still locked after"
    grep -q "^evdev " "$ROOT/proc/modules" || die "evdev not loaded with SIGALRM ${how}ed"
    run_kmodx "$ROOT" modprobe -r evdev
    assert_rc 0
done
kill "$STUCK"
echo ok
