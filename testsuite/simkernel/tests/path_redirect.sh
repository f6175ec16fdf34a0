#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# Every redirected libc path call lands in ROOT; ROOT never leaks; prefixes match whole components.
mkmod foo
run_depmod
build_kcall
mkdir -p "$ROOT/run"
expect_eq "$(sim "$KCALL" paths "$KVER")" "OK" "libc path calls"
expect_eq "$(sim uname -r)" "$KVER" "uname -r from osrelease"
rm "$ROOT/proc/sys/kernel/osrelease"
expect_eq "$(sim env SIMKERNEL_UNAME_R=9.9.9-env uname -r)" "9.9.9-env" "SIMKERNEL_UNAME_R"
expect_eq "$(sim cat /proc/cmdline)" "$(cat "$ROOT/proc/cmdline")" "/proc/cmdline"
expect_eq "$(sim ls /lib/modules)" "$KVER" "ls /lib/modules"
mkdir -p "$ROOT/simkx" "$ROOT/simkxy"
echo inside > "$ROOT/simkx/a"; echo inside > "$ROOT/simkxy/a"
expect_eq "$(sim env SIMKERNEL_REDIRECT=/nonexistent:/simkx cat /simkx/a)" "inside" "SIMKERNEL_REDIRECT"
rc=0; sim env SIMKERNEL_REDIRECT=/simkx cat /simkxy/a >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "/simkxy must not match prefix /simkx"
# simrun locates the library through SIMKERNEL_LIB and refuses a missing ROOT
rc=0; sh "$SIMRUN" "$T/nonexistent" true 2>/dev/null || rc=$?
expect_eq "$rc" "2" "simrun with a missing ROOT"
