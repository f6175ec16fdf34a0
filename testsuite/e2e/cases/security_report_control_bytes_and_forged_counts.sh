#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A store whose records (written through the store's own encoder by
# stats-gen, so their CRCs are right) carry terminal escape sequences in the
# module, parent comm, taint and reason fields, and counts and sizes that add
# up past 2^64. `modprobe --stats` in every format: no control byte reaches
# the output raw (the admin's terminal would act on it), each format's own
# parser reads it, and the sums stop at UINT64_MAX instead of wrapping.
. "$(dirname "$0")/../lib.sh"

GEN="$KMODX_BUILD/testsuite/stats/stats-gen"
[ -x "$GEN" ] || die "stats-gen not built ($GEN)"
TAB=$(printf '\t')
MAX=18446744073709551615
HALF=9223372036854775808

ROOT=$(new_root)
mkdir -p "$ROOT/proc/sys/kernel/random" "$ROOT/run" "$ROOT/var/lib"
echo 33333333-3333-4333-8333-333333333333 >"$ROOT/proc/sys/kernel/random/boot_id"

# ESC [2J clears the screen, ESC ]0;...BEL sets the window title, ESC [31m
# turns the text red, \302\233 is CSI as UTF-8 (a C1 control), \177 DEL.
MOD=$(printf 'evil\033[2J\007mod')
COMM=$(printf 'c\033]0;owned\007\177')
TAINT=$(printf 'O\033[31mE')
REASON=$(printf 'why\302\2331m\001')
{
    echo "module=$MOD outcome=loaded requester=udev comm=$COMM count=$MAX module_bytes=$MAX syscall_ns=1000"
    echo "module=$MOD outcome=loaded requester=udev comm=$COMM count=2 module_bytes=2"
    echo "module=$MOD outcome=suppressed requester=udev comm=$COMM count=$HALF alloc=$HALF read=$HALF"
    echo "module=$MOD outcome=suppressed requester=udev comm=$COMM count=$HALF alloc=$HALF read=$HALF"
    echo "module=$MOD outcome=duplicate_in_kernel err=EEXIST requester=udev comm=$COMM count=$HALF image=10 alloc=10"
    echo "module=$MOD outcome=duplicate_in_kernel err=EEXIST requester=udev comm=$COMM count=$HALF image=10 alloc=10"
    echo "module=$MOD outcome=failed_kernel err=ENOENT requester=udev comm=$COMM image=10"
    echo "module=$MOD outcome=removed tool=rmmod requester=user comm=$COMM taint=$TAINT"
    echo "module=plain outcome=loaded requester=other comm=sh degraded=1 reason=$REASON"
} | sim_run "$ROOT" "$GEN" || die "stats-gen failed"

# The store holds the bytes escaped in its own format; the report must read
# them back, not skip the records as damaged.
for fmt in text json prometheus; do
    sim_run "$ROOT" "$KMODX_BUILD/tools/modprobe" --stats="$fmt" </dev/null >"$E2E_TMP/report.$fmt" 2>"$E2E_TMP/err.$fmt" ||
        die "--stats=$fmt failed: $(cat "$E2E_TMP/err.$fmt")"
done

# Bytes a terminal acts on: C0 controls but newline (and TAB, the text
# report's column separator), DEL, and C1 controls as UTF-8 (C2 80..C2 9F).
no_controls() {
    python3 - "$@" <<'PY' || die "raw control bytes in $1"
import sys
path, allowed = sys.argv[1], {int(c) for c in sys.argv[2:]}
data = open(path, "rb").read()
for i, b in enumerate(data):
    c1 = b == 0xC2 and i + 1 < len(data) and 0x80 <= data[i + 1] < 0xA0
    if (b < 0x20 and b not in allowed) or b == 0x7F or c1:
        sys.exit("%s: byte 0x%02x at %d: %r" % (path, b, i, data[max(0, i - 30):i + 30]))
PY
}
no_controls "$E2E_TMP/report.text" 10 9
no_controls "$E2E_TMP/report.json" 10
no_controls "$E2E_TMP/report.prometheus" 10

# Text: the bytes shown as \xHH; saturated, not wrapped, figures.
OUT=$(cat "$E2E_TMP/report.text")
expect_line() {
    printf '%s\n' "$OUT" | grep -qxF -- "$1" || die "no line '$1' in:
$OUT"
}
expect_line "         Mods ever loaded${TAB}4294967295"
expect_line "        Total module size${TAB}$MAX"
expect_line "                   Events${TAB}$MAX"
expect_line "          Records skipped${TAB}              0"
expect_line "       evil\\x1b[2J\\x07mod${TAB}$MAX${TAB}                 Becoming"
expect_line "       evil\\x1b[2J\\x07mod${TAB}$MAX${TAB}              0${TAB}$MAX${TAB}$MAX"
expect_line "                    Total${TAB}$MAX${TAB}              0${TAB}$MAX${TAB}$MAX"
expect_line "udev parents: c\\x1b]0;owned\\x07\\x7f ($MAX)"
expect_line "       evil\\x1b[2J\\x07mod${TAB}     O\\x1b[31mE${TAB}              1"
expect_line "                 no_dedup${TAB}              1${TAB}why\\xc2\\x9b1m\\x01"

# JSON: parses, strings decode to the recorded bytes, counts saturated.
python3 - "$E2E_TMP/report.json" "$MOD" "$COMM" "$TAINT" "$REASON" <<'PY' || die "JSON report: $(cat "$E2E_TMP/report.json")"
import json, sys
path, mod, comm, taint, reason = sys.argv[1:]
d = json.load(open(path))
MAX = 2**64 - 1
assert d["boot"]["skipped"] == 0, d["boot"]
assert d["boot"]["events"] == MAX, d["boot"]
assert d["outcomes"]["loaded"] == MAX and d["outcomes"]["suppressed"] == MAX, d["outcomes"]
assert d["debugfs"]["mods_ever_loaded"] == MAX and d["debugfs"]["total_module_size"] == MAX, d["debugfs"]
assert d["debugfs"]["duplicate_failed_modules"] == [{"module": mod, "count": MAX, "reason": "Becoming"}]
assert d["suppressed"][0]["module"] == mod and d["suppressed"][0]["suppressed"] == MAX, d["suppressed"]
assert d["suppressed"][0]["kernel_alloc_bytes"] == MAX, d["suppressed"]
udev = [r for r in d["requesters"] if r["requester"] == "udev"][0]
assert udev["requests"] == MAX and udev["parents"] == [{"comm": comm, "requests": MAX}], udev
assert d["tainted_unloads"] == [{"module": mod, "taint": taint, "count": 1}], d["tainted_unloads"]
assert d["degraded"][0]["reason"] == reason, d["degraded"]
PY

# Prometheus: the label values hold the text report's \xHH (its backslash
# escaped, the exposition format having no escape for these bytes).
PROM="$E2E_TMP/report.prometheus"
for want in \
    "kmodx_module_events_total{outcome=\"loaded\"} $MAX" \
    "kmodx_suppressed_total{module=\"evil\\\\x1b[2J\\\\x07mod\",kind=\"waited\"} $MAX" \
    "kmodx_requests_by_parent_total{requester=\"udev\",parent=\"c\\\\x1b]0;owned\\\\x07\\\\x7f\"} $MAX" \
    "kmodx_tainted_unloads_total{module=\"evil\\\\x1b[2J\\\\x07mod\",taint=\"O\\\\x1b[31mE\"} 1" \
    "kmodx_degraded_runs_total{flags=\"no_dedup\",reason=\"why\\\\xc2\\\\x9b1m\\\\x01\"} 1" \
    "kmodx_debugfs_modules_loaded_total{source=\"kmodx\"} $MAX"; do
    grep -qxF -- "$want" "$PROM" || die "no line '$want' in:
$(cat "$PROM")"
done
if command -v promtool >/dev/null; then
    promtool check metrics <"$PROM" || die "promtool check metrics refused the report"
else
    echo "note: promtool not installed (Debian: prometheus); exposition not checked by its parser"
fi
