# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the security_* cases (sourced after lib.sh and stats_lib.sh):
# an unprivileged local user (uid and gid 65534) acting beside root's calls
# in the same simulated machine.

# as_user PROGRAM ARGS...: PROGRAM as the unprivileged user, no groups;
# marked as the machine's (SIMKERNEL_ROOT), so a failing case kills what it
# left running (lib.sh's kill_leftovers).
as_user() { env SIMKERNEL_ROOT="$ROOT" setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# lock_taken FILE: someone holds FILE's lock.
lock_taken() { ! flock -n "$1" true; }

# stuck_root_holder FILE: a root process holding FILE's lock without ever
# writing a record, as a holder stopped before its load would; its pid in
# $STUCK once the lock is held.
stuck_root_holder() {
    (exec 9<"$1"; flock -x 9; exec env SIMKERNEL_ROOT="$ROOT" sleep 60) &
    STUCK=$!
    wait_for "the stand-in holder to take the lock" lock_taken "$1"
}

# user_machine: a fresh stats_root (in $ROOT) the user can reach, with the
# lock and stats directories made by a first root call. The user only
# opens, locks and runs system programs there, never the build, so a
# checkout under a 0700 directory does not stop these cases; a temporary
# directory the user cannot reach skips them.
user_machine() {
    ROOT=$(stats_root)
    chmod 755 "$E2E_TMP" "$ROOT"
    as_user test -r "$ROOT/proc/sys/kernel/random/boot_id" || skip "the unprivileged user cannot reach $ROOT"
    run_kmodx "$ROOT" modprobe -q -- irqbypass
    assert_rc 0
}

# hold_everything [-s]: the user opens every file and directory under
# ROOT/run it can and holds an flock on each (exclusive, or shared with -s)
# until release_everything (or two minutes); $HELD lists what it got.
HOLD_TAG=120.$$
hold_everything() {
    : >"$E2E_TMP/held"
    chmod 666 "$E2E_TMP/held"
    as_user sh -c '
        mode=$1; out=$2; tag=$3; shift 3
        for f in $(find "$@" 2>/dev/null); do
            exec 9<"$f" || continue
            # The sleep inherits the descriptor, and with it the lock.
            if flock -n $mode 9; then echo "$f" >>"$out"; sleep "$tag" & fi
            exec 9<&-
        done 2>/dev/null' sh "${1:--x}" "$E2E_TMP/held" "$HOLD_TAG" "$ROOT/run"
    HELD=$(cat "$E2E_TMP/held")
}
release_everything() {
    pkill -f "^sleep $HOLD_TAG\$" 2>/dev/null
    return 0
}
