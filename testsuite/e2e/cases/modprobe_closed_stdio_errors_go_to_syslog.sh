#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# With no stderr (the kernel's call has fds 0-2 closed), modprobe's messages go
# to syslog, as kmod's do: the same text at the same priority, and nothing on
# any fd. Runs in its own mount namespace with a private /dev whose /dev/log
# is a socket this test reads; skipped where mount namespaces are not allowed.
if [ -z "${KMODX_SYSLOG_NS:-}" ]; then
    unshare -m true 2>/dev/null || exit 77
    KMODX_SYSLOG_NS=1 exec unshare -m sh "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"

mount --make-rprivate / || exit 77
olddev=$E2E_TMP/olddev
mkdir -p "$olddev"
mount --bind /dev "$olddev" || exit 77
mount -t tmpfs -o mode=0755 tmpfs /dev || exit 77
for n in null zero urandom; do
    : >"/dev/$n"
    mount --bind "$olddev/$n" "/dev/$n"
done

log=$E2E_TMP/syslog
python3 - "$log" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
with open(sys.argv[1], "a", buffering=1) as out:
    while True:
        msg = s.recv(65536).decode("utf-8", "replace")
        # "<PRI>Mmm dd hh:mm:ss ident: text": the time goes, the rest stays.
        pri, _, rest = msg.partition(">")
        out.write(pri + ">" + rest[16:].rstrip("\n") + "\n")
PY
server=$!
trap 'kill $server 2>/dev/null; umount -l /dev "$olddev" 2>/dev/null; rm -rf "$E2E_TMP"' EXIT
i=0
while [ ! -S /dev/log ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -S /dev/log ] || die "no syslog socket"

# run_closed ROOT TOOL_PATH ARGS...: no stdio at all. A message written to a
# reopened fd 0-2 instead of syslog shows as a missing syslog line.
run_closed() {
    local root=$1; shift
    RC=0
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ TERM=linux \
        ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
        "$SIMRUN" "$root" "$@" 0<&- 1>&- 2>&- || RC=$?
}

# messages_of TOOL_PATH: the syslog lines one tool leaves for the calls below.
messages_of() {
    local root
    root=$(new_root)
    mkdir -p "$root/.simkernel"
    printf 'fail.evdev=ENODEV\n' >"$root/.simkernel/config"
    : >"$log"
    run_closed "$root" "$1" -v nosuch_module
    echo "rc $RC"
    run_closed "$root" "$1" -q -- nosuch_module
    echo "rc $RC"
    run_closed "$root" "$1" evdev
    echo "rc $RC"
    run_closed "$root" "$1" --bogus-option
    echo "rc $RC"
    sleep 0.2
    sed "s#$root#<ROOT>#g" "$log"
}

messages_of "$E2E_TMP/stock/modprobe" >"$E2E_TMP/stock.msgs"
messages_of "$KMODX_BUILD/tools/modprobe" >"$E2E_TMP/kmodx.msgs"
grep -q "could not insert 'evdev'" "$E2E_TMP/kmodx.msgs" || die "no syslog line for the failed insert: $(cat "$E2E_TMP/kmodx.msgs")"
grep -q "nosuch_module" "$E2E_TMP/kmodx.msgs" || die "no syslog line for the missing module: $(cat "$E2E_TMP/kmodx.msgs")"
if ! cmp -s "$E2E_TMP/stock.msgs" "$E2E_TMP/kmodx.msgs"; then
    diff -u "$E2E_TMP/stock.msgs" "$E2E_TMP/kmodx.msgs" | sed 's/^/  /'
    die "syslog messages differ (- kmod, + kmodx)"
fi
echo ok
