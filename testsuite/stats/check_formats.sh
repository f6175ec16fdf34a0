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

# The timeline: well-formed SVG, alone and inside the page; the page has no
# script and fetches nothing (escaping: test_stats_timeline).
"$T/bin/modprobe" --stats=svg >"$T/report.svg"
"$T/bin/modprobe" --stats=html >"$T/report.html"
$PY - "$T/report.svg" "$T/report.html" <<'PY'
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
svg = ET.parse(sys.argv[1]).getroot()
assert svg.tag == "{http://www.w3.org/2000/svg}svg", svg.tag
labels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "label"]
# 3000 events over more modules than the 300 lanes: the rest share the last.
assert len(labels) == 300 and labels[-1].endswith(" more modules)"), (len(labels), labels[-1])
page = open(sys.argv[2], encoding="utf-8").read()
ET.fromstring(page[page.index("<svg"):page.index("</svg>") + len("</svg>")])

class Page(HTMLParser):
    tags = []
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        names = {k for k, _ in attrs}
        assert tag != "script" and not names & {"src", "href"} and not any(k.startswith("on") for k in names), (tag, attrs)

p = Page()
p.feed(page)
p.close()
assert p.tags[:2] == ["html", "head"] and "svg" in p.tags and "table" in p.tags, p.tags[:10]
print("svg and html: well-formed,", len(labels), "lanes, no scripts")
PY
