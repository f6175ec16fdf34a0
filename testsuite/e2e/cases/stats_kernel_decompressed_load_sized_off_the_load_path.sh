#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A module the kernel decompresses (its .ko.xz handed over as it is, the
# kernel's /sys/module/compression says xz) is recorded without its
# footprint: the load does not decompress it only to size the event. The
# report and the archive fill the size in from the module file, and it is the
# size of the same module loaded where kmodx decompresses it itself (no
# /sys/module/compression), which the load computes as before.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stats_lib.sh"

TAB=$(printf '\t')

# record ROOT MODULE: the store's record of MODULE's load, as
# "PATH MODULE_BYTES TEXT_BYTES" (testsuite/stats/record.py's fields).
record() {
    python3 - "$STATS_RECORD_PY" "$1" "$2" <<'PY'
import glob, sys
sys.path.insert(0, sys.argv[1])
import record
root, module = sys.argv[2:]
for name in glob.glob(root + "/run/kmodx/stats/*.events") + glob.glob(root + "/var/lib/kmodx/boots/*"):
    for r in record.read_store(name)[0] or []:
        if r["module"] == module and r["outcome"] == "loaded":
            print(r["path"], r["module_bytes"], r["text_bytes"])
PY
}
total_size() { printf '%s\n' "$1" | sed -n "s/^ *Total module size$TAB//p" | head -n 1; }

KERNEL=$(stats_root)
echo xz >"$KERNEL/sys/module/compression"
USER=$(stats_root)

run_kmodx "$KERNEL" modprobe xz_mod
assert_rc 0
run_kmodx "$USER" modprobe xz_mod
assert_rc 0

set -- $(record "$KERNEL" xz_mod)
assert_eq "$1 $2 $3" "kernel 0 0" "the kernel-decompressed load's record (path, module and text bytes)"
set -- $(record "$USER" xz_mod)
assert_eq "$1" user "the userspace-decompressed load's path"
[ "$2" -gt 0 ] && [ "$3" -gt 0 ] || die "the userspace-decompressed load was not sized: $*"
sized="$2 $3"

run_kmodx "$USER" modprobe --stats
assert_rc 0
expected=$(total_size "$OUT")
[ "$expected" -ge "${sized%% *}" ] || die "the report's size $expected is below xz_mod's ${sized%% *}"
run_kmodx "$KERNEL" modprobe --stats
assert_rc 0
assert_eq "$(total_size "$OUT")" "$expected" "the kernel-decompressed load's size in the report"
run_kmodx "$KERNEL" modprobe --stats=json
assert_rc 0
case $OUT in *'"total_module_size":'"$expected,"*) ;;
    *) die "no total_module_size $expected in the JSON report: $OUT" ;; esac

# The archive of this boot carries the size; the runtime store stays as recorded.
mkdir -p "$KERNEL/var/lib"
run_kmodx "$KERNEL" modprobe --stats-archive
assert_rc 0
records=$(record "$KERNEL" xz_mod)
assert_eq "$records" "kernel 0 0
kernel $sized" "the runtime record and the archived one"

# A module file that changed since the load (another size) is not taken for
# it; xz_mod's dependency chain_e, not compressed, was sized at its load.
file=$(sed -n 's|^\(.*/xz_mod\.ko\.xz\):.*|\1|p' "$KERNEL/lib/modules/6.1.0-sim/modules.dep")
f=$KERNEL/lib/modules/6.1.0-sim/$file
# (The root's module files are hard links to the fixture's: change a copy.)
cp "$f" "$f.new" && printf 'x' >>"$f.new" && mv "$f.new" "$f" || die "cannot change $file"
run_kmodx "$KERNEL" modprobe --stats
assert_rc 0
assert_eq "$(total_size "$OUT")" "$((expected - ${sized%% *}))" "the size (chain_e's alone) when xz_mod's file is no longer the one loaded"
echo "ok"
