#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# check_formats.sh KMODX STATS_GEN SCHEMA: the report of a synthetic store in
# every format, each through a real parser: JSON against the documented
# schema (python3-jsonschema), Prometheus through `promtool check metrics`.
set -eu
KMODX=$1 GEN=$2 SCHEMA=$3
command -v promtool >/dev/null || { echo "FAIL: promtool missing (apt-get install prometheus)" >&2; exit 1; }
PY=python3
/usr/bin/python3 -c "import jsonschema" 2>/dev/null && PY=/usr/bin/python3  # Debian's python3-jsonschema
$PY -c "import jsonschema" 2>/dev/null || { echo "FAIL: python3-jsonschema missing" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/kmodx-stats-formats.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin"
ln -s "$KMODX" "$T/bin/modprobe"
export KMODX_RUNTIME_DIR="$T/run" KMODX_STATE_DIR="$T/state" KMODX_STATS_MAX_BYTES=1G

# Every outcome, requester and format at random, then the awkward strings:
# quotes, backslashes and a newline-free but odd comm, a module in UTF-8.
"$GEN" --random 3000 --seed 7
"$GEN" <<'SPEC'
module=we"ird outcome=failed_kernel err=ENOENT requester=user comm=a\b"c image=100
module=caf\xc3 outcome=suppressed requester=udev comm=(udev-worker) read=10 alloc=20
module=zz outcome=removed taint=OE requester=user comm=rmmod
module=dd outcome=loaded degraded=3 reason=lock\dir"x
SPEC

"$T/bin/modprobe" --stats=json >"$T/report.json"
$PY - "$SCHEMA" "$T/report.json" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=str)
for e in errors[:10]:
    print("schema:", "/".join(map(str, e.path)), e.message, file=sys.stderr)
if errors:
    sys.exit(1)
# The figures are the store's, not an empty shell that validates trivially.
assert doc["boot"]["events"] >= 3004, doc["boot"]
assert sum(doc["outcomes"].values()) == doc["boot"]["events"]
assert any(f["module"] == 'we"ird' and f["errno_name"] == "ENOENT" for f in doc["failures"])
assert doc["debugfs"]["mods_ever_loaded"] == doc["outcomes"]["loaded"]
print("json: valid,", doc["boot"]["events"], "events")
PY

"$T/bin/modprobe" --stats=prometheus >"$T/report.prom"
# promtool prints lint problems and exits non-zero on parse errors or lint findings.
promtool check metrics <"$T/report.prom"
grep -q '^kmodx_module_events_total{outcome="loaded"} [1-9]' "$T/report.prom"
grep -q 'kmodx_failures_total{module="we\\"ird",outcome="failed_kernel",errno="ENOENT"} 1' "$T/report.prom"
echo "prometheus: promtool check metrics passed"
