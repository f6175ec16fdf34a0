#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A FIFO named like a module: Debian's kmod blocks forever opening it; kmodx
# refuses it at once with one line and never calls the kernel.
. "$(dirname "$0")/../lib.sh"
ROOT=$(new_root)
mkfifo "$ROOT/fifo.ko"
E2E_TIMEOUT=10 run_kmodx "$ROOT" insmod "$ROOT/fifo.ko"
assert_rc 1
assert_err_eq "insmod: ERROR: could not insert module $ROOT/fifo.ko: Invalid parameters
"
assert_eq "$(load_calls "$ROOT" fifo)" 0 "load syscalls"
