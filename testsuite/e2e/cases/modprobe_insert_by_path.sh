#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# kmodx accepts a module file path as later kmod releases do ("/..." or
# "./..."): the file is loaded (any compression kmodx reads) after the
# dependencies modules.dep lists for its name. kmod 30 says "not found".
. "$(dirname "$0")/../lib.sh"

ROOT=$(new_root)
state() { cat "$ROOT/sys/module/$1/initstate" 2>/dev/null || echo absent; }

run_kmodx "$ROOT" modprobe -v "$ROOT/extra-modules/gz_mod.ko.gz"
assert_rc 0
assert_out_eq "insmod $ROOT/extra-modules/gz_mod.ko.gz 
"
assert_eq "$(state gz_mod)" live "gz_mod after loading by absolute path"
assert_eq "$(load_calls "$ROOT" gz_mod)" 1 "load calls for gz_mod"

# Relative to the working directory, with parameters re-quoted as for names.
(cd "$ROOT/extra-modules" && run_kmodx "$ROOT" modprobe -v ./plain_mod.ko "p=a b" && echo "$RC" >"$ROOT/rc" && printf '%s' "$OUT" >"$ROOT/out")
assert_eq "$(cat "$ROOT/rc")" 0 "exit status for ./plain_mod.ko"
assert_eq "$(cat "$ROOT/out")" "insmod $ROOT/extra-modules/./plain_mod.ko p=\"a b\"" "-v line for ./plain_mod.ko (libkmod makes it absolute)"
assert_eq "$(state plain_mod)" live "plain_mod after loading by relative path"

# A path inside the module tree brings its dependencies first.
run_kmodx "$ROOT" modprobe -v /lib/modules/6.1.0-sim/kernel/drivers/fixtures/compressed/xz_mod.ko.xz
assert_rc 0
assert_out_eq "insmod /lib/modules/6.1.0-sim/kernel/drivers/fixtures/chain/chain_e.ko 
insmod /lib/modules/6.1.0-sim/kernel/drivers/fixtures/compressed/xz_mod.ko.xz 
"
assert_eq "$(state chain_e)" live "dependency chain_e"

# Loading the same file again is quietly fine, as for names.
run_kmodx "$ROOT" modprobe "$ROOT/extra-modules/gz_mod.ko.gz"
assert_rc 0
assert_err_eq ""
assert_eq "$(load_calls "$ROOT" gz_mod)" 1 "no second load of a live module"

# Missing and corrupt files: one line, exit 1 (nothing with -q).
run_kmodx "$ROOT" modprobe /nonexistent/x.ko
assert_rc 1
assert_err_eq "modprobe: FATAL: Failed to get module from path /nonexistent/x.ko: No such file or directory
"
run_kmodx "$ROOT" modprobe "$ROOT/bad-modules/corrupt.ko.gz"
assert_rc 1
[ "$(printf '%s' "$ERR" | wc -l)" -eq 1 ] || die "expected one error line, got: $ERR"
assert_err_contains "modprobe: ERROR: could not insert 'corrupt': "
run_kmodx "$ROOT" modprobe -q "$ROOT/bad-modules/garbage.ko"
assert_rc 1
assert_err_eq ""
echo ok
