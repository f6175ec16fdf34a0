#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ./dev demo's storm (testsuite/demo.sh) tells the truth it shows: kmodx's
# column has one load syscall per module (9 loaded, serio_raw failing once)
# and no EEXIST, both tools' callers got the same exit statuses, and
# `modprobe --stats` follows with the duplicates kmodx suppressed.
. "$(dirname "$0")/../lib.sh"

out=$(DEMO_CPUS=8 sh "$(dirname "$0")/../../demo.sh" "$KMODX_BUILD" 2>&1) || die "the demo failed: $out"
row() { printf '%s\n' "$out" | grep "^$1 "; }
set -- $(row "load syscalls" | awk '{print $(NF-1), $NF}')
assert_eq "$2" 10 "kmodx's load syscalls (9 modules loaded, one failing)"
[ "$1" -gt 10 ] || die "stock kmod made no duplicate load: $(row "load syscalls")"
assert_eq "$(row "  refused with EEXIST" | awk '{print $NF}')" 0 "kmodx's EEXIST"
assert_eq "$(row "virtual memory wasted" | awk '{print $NF}')" 0 "kmodx's wasted bytes"
exits=$(row "exit statuses" | sed 's/^exit statuses *//; s/   */ | /')
assert_eq "$exits" "24 x 0, 8 x 1 | 24 x 0, 8 x 1" "exit statuses of both storms"
case "$out" in *"Duplicates suppressed by kmodx:"*) ;; *) die "no --stats report after the storm: $out" ;; esac
