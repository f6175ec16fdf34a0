#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# rmmod of a module held by another fails "in use"; a refcount held elsewhere gives EWOULDBLOCK.
mkmod a -x a_fn
mkmod b -d a -u a_fn
run_depmod
sim modprobe b || fail "modprobe b"
rc=0; out=$(sim rmmod a 2>&1) || rc=$?
expect_eq "$rc" "1" "rmmod a exit"
expect_eq "$out" "rmmod: ERROR: Module a is in use by: b" "rmmod message"
expect_eq "$(initstate a)" "live" "a still loaded"
sim rmmod b || fail "rmmod b"
# a reference taken outside modules (an open device, say): written into /proc/modules by hand
sed -i 's/^a \([0-9]*\) 0 /a \1 1 /' "$ROOT/proc/modules"
build_kcall
expect_eq "$(sim "$KCALL" delete a 2048 || true)" "EAGAIN" "refcnt > 0"
