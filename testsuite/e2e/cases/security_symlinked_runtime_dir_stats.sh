#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# docs/security.md: /run/kmodx a symlink. Dedup already refuses it and loads without
# locks; the stats store is refused too, not written or read through the link:
# everything below the runtime directory is opened relative to the checked
# runtime directory's descriptor. The loads happen as stock modprobe's do, the
# target gains no file, and `modprobe --stats` names what is wrong.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

# listing DIR: every path under DIR with owner and mode, for a before/after
# comparison.
listing() { (cd "$1" && find . | LC_ALL=C sort | while read -r p; do stat -c '%n %u %a %s' "$p"; done); }

for target in with_store empty; do
    ROOT=$(stats_root)
    STOCK=$(stats_root)
    if [ "$target" = with_store ]; then
        # A runtime directory in use, moved aside and linked back: a store
        # kmodx would trust if it got there.
        run_kmodx "$ROOT" modprobe -q -- crc64
        assert_rc 0
        [ -f "$ROOT/run/kmodx/stats/$STATS_BOOT.events" ] || die "no store to move aside"
        run_stock "$STOCK" modprobe -q -- crc64
        mv "$ROOT/run/kmodx" "$ROOT/elsewhere"
    else
        mkdir "$ROOT/elsewhere"
    fi
    ln -s "$ROOT/elsewhere" "$ROOT/run/kmodx"
    before=$(listing "$ROOT/elsewhere")

    for m in evdev serio_raw; do
        run_kmodx "$ROOT" modprobe -- "$m"
        assert_rc 0
        run_stock "$STOCK" modprobe -- "$m"
        # A live module, as the kernel asks for it.
        run_kmodx "$ROOT" modprobe -q -- "$m"
        assert_rc 0
        assert_err_eq ""
    done
    assert_eq "$(kernel_state "$ROOT")" "$(kernel_state "$STOCK")" "$target: kernel state against stock kmod"
    assert_eq "$(listing "$ROOT/elsewhere")" "$before" "$target: files under the link's target"
    [ -L "$ROOT/run/kmodx" ] || die "$target: the link was replaced"

    run_kmodx "$ROOT" modprobe --stats
    assert_rc 1
    assert_err_contains "/run/kmodx is a symlink"
    run_kmodx "$ROOT" modprobe --stats-reset
    assert_rc 1
    assert_err_contains "/run/kmodx is a symlink"
    assert_eq "$(listing "$ROOT/elsewhere")" "$before" "$target: files under the link's target after --stats-reset"
done
echo ok
