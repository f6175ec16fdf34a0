#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The kernel's autoload call: `modprobe -q -- NAME` with fds 0-2 closed. The
# exit status must be right, and kmodx must not let a file or socket it
# opens take fd 0-2 (output would land in it): an install command lists the
# fds of its modprobe, which must be /dev/null.
. "$(dirname "$0")/../lib.sh"

# run_closed ROOT TOOL_PATH ARGS...: like run_in but with no stdio at all.
run_closed() {
    local root=$1; shift
    RC=0
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ TERM=linux \
        ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
        "$SIMRUN" "$root" "$@" 0<&- 1>&- 2>&- || RC=$?
}

ROOT=$(new_root)
run_closed "$ROOT" "$KMODX_BUILD/tools/modprobe" -q -- irqbypass
assert_rc 0
assert_eq "$(cat "$ROOT/sys/module/irqbypass/initstate")" live "irqbypass loaded with no stdio"

# Already loaded: the fast path, still exit 0 and no second load.
run_closed "$ROOT" "$KMODX_BUILD/tools/modprobe" -q -- irqbypass
assert_rc 0
assert_eq "$(load_calls "$ROOT" irqbypass)" 1 "load calls for irqbypass"

# Failures keep their exit status; messages (had there been any) go to syslog.
run_closed "$ROOT" "$KMODX_BUILD/tools/modprobe" -q -- nosuch_module
assert_rc 1
run_closed "$ROOT" "$KMODX_BUILD/tools/modprobe" -v nosuch_module
assert_rc 1
run_closed "$ROOT" "$KMODX_BUILD/tools/modprobe" --bogus-option
assert_rc 1

# What fds 0-2 of modprobe point at while it runs an install command.
fdlist="$E2E_TMP/fds"
echo "install evdev ls -l /proc/\$PPID/fd/0 /proc/\$PPID/fd/1 /proc/\$PPID/fd/2 > $fdlist 2>&1" \
    >"$ROOT/etc/modprobe.d/fds.conf"
run_closed "$ROOT" "$KMODX_BUILD/tools/modprobe" -v -- evdev
assert_rc 0
[ -s "$fdlist" ] || die "install command did not run"
n=$(grep -c -- '-> /dev/null' "$fdlist")
[ "$n" -eq 3 ] || die "fds 0-2 of modprobe are not /dev/null: $(cat "$fdlist")"

# Stock kmod agrees on every exit status above.
STOCK=$(new_root)
for args in "-q -- irqbypass" "-q -- irqbypass" "-q -- nosuch_module" "--bogus-option"; do
    # shellcheck disable=SC2086
    run_closed "$STOCK" "$E2E_TMP/stock/modprobe" $args; s=$RC
    # shellcheck disable=SC2086
    run_closed "$ROOT" "$KMODX_BUILD/tools/modprobe" $args; k=$RC
    assert_eq "$k" "$s" "exit status of modprobe $args (kmodx vs kmod)"
done
echo ok
