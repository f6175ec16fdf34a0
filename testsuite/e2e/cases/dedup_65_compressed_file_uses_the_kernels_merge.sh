#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# On the 6.5 model with a kernel that decompresses zstd, kmodx hands a
# .ko.zst to finit_module with MODULE_INIT_COMPRESSED_FILE (flag 4), so the
# kernel's same-inode merge works for loads kmodx does not dedup itself
# (--no-dedup here): concurrent calls join the first one's result
# ("idempotent"), one load in all. Stock kmod 30 decompresses in userspace
# and calls init_module, which the kernel cannot merge. With a kernel that
# only decompresses xz, kmodx decompresses the .zst itself and calls
# init_module.
. "$(dirname "$0")/../lib.sh"

# loads ROOT: "call flags outcome" of every zst_mod load call. A call that
# joined another is logged without a module name (the kernel never read the
# file): it is known by its inode.
loads() {
    awk -F'\t' 'NR == FNR { if ($4 == "zst_mod" && $12 != "-") ino[$12] = 1; next }
        ($3 == "finit_module" || $3 == "init_module") && ($4 == "zst_mod" || ($12 in ino)) {print $3, $11, $13}' \
        "$1/.simkernel/calls.log" "$1/.simkernel/calls.log"
}

setup() {  # setup FORMAT
    ROOT=$(new_root)
    mkdir -p "$ROOT/run" "$ROOT/.simkernel" "$ROOT/sys/module"
    printf 'model=6.5\nload_ns_base=100ms\n' >"$ROOT/.simkernel/config"
    echo "$1" >"$ROOT/sys/module/compression"
}

# One kmodx request: finit_module, flag 4, loaded.
setup zstd
run_kmodx "$ROOT" modprobe zst_mod
assert_rc 0
assert_eq "$(loads "$ROOT")" "finit_module 4 live" "kmodx's load of a .ko.zst"

# The kernel merges concurrent finit_module calls on the same inode (a long
# init, so that they are concurrent even on a busy machine).
setup zstd
printf 'model=6.5\nload_ns_base=2s\n' >"$ROOT/.simkernel/config"
storm 8 "$ROOT" "$KMODX_BUILD/tools/modprobe" --no-dedup zst_mod
for i in 1 2 3 4 5 6 7 8; do assert_eq "$(cat "$E2E_TMP/s.$i.rc")" 0 "exit status of process $i"; done
[ "$(loads "$ROOT" | grep -vc '^finit_module 4 ')" = 0 ] || die "a load without flag 4: $(loads "$ROOT")"
assert_eq "$(loads "$ROOT" | grep -c ' live$')" 1 "loads the kernel carried out"
[ "$(loads "$ROOT" | grep -c ' idempotent$')" -ge 1 ] || die "no call joined the first one: $(loads "$ROOT")"

# Stock kmod 30: userspace decompression, init_module, nothing to merge.
setup zstd
run_stock "$ROOT" modprobe zst_mod
assert_rc 0
loads "$ROOT" | grep -q "^init_module " || die "stock kmod did not use init_module: $(loads "$ROOT")"

# A kernel that decompresses xz only: kmodx decompresses the zstd file itself.
setup xz
run_kmodx "$ROOT" modprobe zst_mod
assert_rc 0
assert_eq "$(loads "$ROOT" | cut -d' ' -f1,3)" "init_module live" "kmodx's load of a .ko.zst on an xz kernel"
echo "ok"
