#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# fleet_rules.sh FLEET_MD: docs/fleet.md's PromQL and alert rules as
# Prometheus reads them: every ```promql query and the ```yaml rule group
# parse (`promtool check rules`), and the alerts fire on the series the
# kmodx export produces, and only then (`promtool test rules` on two
# machines: one whose boot storm reached the kernel and whose module fails,
# one quiet).
set -eu
DOC=$1
command -v promtool >/dev/null || { echo "FAIL: promtool missing (apt-get install prometheus)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/kmodx-fleet.XXXXXX")
trap 'rm -rf "$T"' EXIT

python3 - "$DOC" "$T" <<'PY'
import re, sys
doc, out = sys.argv[1], sys.argv[2]
text = open(doc).read()
yaml = re.findall(r"```yaml\n(.*?)```", text, re.S)
assert len(yaml) == 1, "expected one yaml block"
open(out + "/alerts.yml", "w").write(yaml[0])
queries = []
for block in re.findall(r"```promql\n(.*?)```", text, re.S):
    # One query per line, except an indented continuation.
    for q in re.split(r"\n(?![ )])", block.strip()):
        if q.strip():
            queries.append(q)
assert len(queries) >= 8, queries
rules = "groups:\n- name: fleet_md_queries\n  rules:\n"
for i, q in enumerate(queries):
    rules += f"  - record: fleet_md_query_{i}\n    expr: |\n" + "".join("      " + l + "\n" for l in q.split("\n"))
open(out + "/queries.yml", "w").write(rules)
print(len(queries), "queries")
PY
promtool check rules "$T/alerts.yml" "$T/queries.yml"

cat >"$T/test.yml" <<'YML'
rule_files: [alerts.yml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'kmodx_stats_boot_info{instance="a",boot_id="1",boot="0"}'
    values: '1x20'
  - series: 'kmodx_stats_boot_info{instance="b",boot_id="2",boot="0"}'
    values: '1x20'
  - series: 'kmodx_duplicate_requests_total{instance="a",requester="udev",where="kernel"}'
    values: '3x20'
  - series: 'kmodx_duplicate_requests_total{instance="b",requester="udev",where="kernel"}'
    values: '0x20'
  - series: 'kmodx_duplicate_requests_total{instance="b",requester="udev",where="suppressed"}'
    values: '40x20'
  - series: 'kmodx_failures_total{instance="a",module="nvme",outcome="failed_kernel",errno="ENODEV"}'
    values: '1x20'
  - series: 'kmodx_saved_bytes_total{instance="b",module="nvme"}'
    values: '1000x20'
  alert_rule_test:
  - eval_time: 10m
    alertname: KmodxDuplicateLoadsInKernel
    exp_alerts:
    - exp_labels: {instance: a}
      exp_annotations:
        summary: "a: 3 duplicate module loads reached the kernel this boot"
  - eval_time: 20m
    alertname: KmodxModuleFailsFleetWide
    exp_alerts:
    - exp_labels: {module: nvme, errno: ENODEV}
      exp_annotations:
        summary: "nvme fails with ENODEV on 50% of machines"
  - eval_time: 10m
    alertname: KmodxDegraded
    exp_alerts: []
  - eval_time: 10m
    alertname: KmodxBootStorm
    exp_alerts: []
YML
promtool test rules "$T/test.yml"
