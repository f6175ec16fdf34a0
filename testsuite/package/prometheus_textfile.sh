#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# prometheus_textfile.sh UNITDIR: kmodx-stats-prometheus.service's own
# ExecStart command line (from the built unit, systemd's $$ unescaped, the
# installed kmodx swapped for the built one) run in a simulated machine after
# a module storm writes a kmodx.prom that `promtool check metrics` accepts
# and that holds the storm's figures; it replaces an existing file by rename
# (a reader never sees it half written) and, when the report fails, leaves
# the previous file and no temporary. The service and timer pass
# systemd-analyze verify.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/stats_lib.sh"

UNITDIR=$1
SERVICE=$UNITDIR/kmodx-stats-prometheus.service
TIMER=$UNITDIR/kmodx-stats-prometheus.timer
command -v promtool >/dev/null || die "promtool missing (apt-get install prometheus)"
[ -f "$SERVICE" ] && [ -f "$TIMER" ] || die "units not built in $UNITDIR"

# ExecStart= and the default TEXTFILE_DIR, as systemd would see them.
line=$(sed -n 's/^ExecStart=//p' "$SERVICE")
[ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ] && [ -n "$line" ] || die "not one ExecStart in $SERVICE"
default_dir=$(sed -n 's/^Environment=TEXTFILE_DIR=//p' "$SERVICE")
assert_eq "$default_dir" /var/lib/prometheus/node-exporter "service's TEXTFILE_DIR"
installed=$(printf '%s\n' "$line" | grep -o '/[^ ]*/kmodx modprobe' | sed 's/ modprobe$//')
[ -n "$installed" ] || die "ExecStart does not run kmodx modprobe: $line"

# exec_start KMODX: the command line's words (systemd splits it like a shell
# here: one single-quoted script) with $$ as $ and KMODX for the installed path.
exec_start() {
    python3 - "$line" "$installed" "$1" <<'PY'
import shlex, sys
line, installed, kmodx = sys.argv[1:]
for word in shlex.split(line.replace("$$", "$")):
    print(word.replace(installed, kmodx))
PY
}
exec_start "$KMODX_BUILD/tools/kmodx" >"$E2E_TMP/argv"
[ "$(head -n 1 "$E2E_TMP/argv")" = /bin/sh ] || die "ExecStart is not /bin/sh -c: $(cat "$E2E_TMP/argv")"

# run_service ROOT: the service's command in ROOT's simulated kernel, as
# systemd starts it: the unit's environment and nothing else.
run_service() {
    tfile_dir=$2
    SIM_ENV="TEXTFILE_DIR=$tfile_dir" sim_run "$1" /bin/sh -c "$(sed -n 3p "$E2E_TMP/argv")" </dev/null
}

# A machine whose boot had a storm: 8 udev-like requests for nvme's 5-module
# chain and a module whose init fails.
ROOT=$(stats_root)
printf 'fail.chain_e=ENODEV\n' >"$ROOT/.simkernel/config"
i=0
while [ "$i" -lt 8 ]; do
    i=$((i + 1))
    SIM_ENV="ACTION=add SEQNUM=$i DEVPATH=/devices/pci0000:00/nvme$i" spawn "u.$i" "$ROOT" "$KMODX_BUILD/tools/modprobe" -b nvme
done
wait
run_kmodx "$ROOT" modprobe chain_e
assert_rc 1

DIR=$E2E_TMP/textfile
mkdir -p "$DIR"
run_service "$ROOT" "$DIR" || die "ExecStart failed"
[ -f "$DIR/kmodx.prom" ] || die "no $DIR/kmodx.prom"
assert_eq "$(ls "$DIR")" kmodx.prom "files in the collector directory"
assert_eq "$(stat -c %a "$DIR/kmodx.prom")" 644 "mode of kmodx.prom (node_exporter reads it as another user)"
promtool check metrics <"$DIR/kmodx.prom" || die "promtool check metrics rejects kmodx.prom"
P=$DIR/kmodx.prom
grep -qx 'kmodx_module_events_total{outcome="loaded"} 5' "$P" || die "loads: $(grep events_total "$P")"
grep -q '^kmodx_requests_total{requester="udev"} [1-9]' "$P" || die "udev requests: $(grep requests_total "$P")"
grep -qx 'kmodx_failed_requests_total{requester="other"} 1' "$P" || die "the failure's requester: $(grep failed_requests "$P")"
grep -qx 'kmodx_failures_total{module="chain_e",outcome="failed_kernel",errno="ENODEV"} 1' "$P" ||
    die "failure: $(grep failures_total "$P")"
grep -q "^kmodx_stats_boot_info{boot_id=\"$STATS_BOOT\"" "$P" || die "boot id: $(grep boot_info "$P")"

# A second run replaces the file by rename: a new inode, never the old one
# truncated and rewritten in place.
inode=$(stat -c %i "$P")
run_kmodx "$ROOT" modprobe chain_e
run_service "$ROOT" "$DIR" || die "second ExecStart failed"
[ "$(stat -c %i "$P")" != "$inode" ] || die "kmodx.prom rewritten in place (same inode)"
grep -qx 'kmodx_suppressed_total{module="chain_e",kind="cached_failure"} 1' "$P" ||
    die "second run's figures: $(grep suppressed_total "$P")"
assert_eq "$(ls "$DIR")" kmodx.prom "files in the collector directory after the second run"

# A report that fails half way (output, then a non-zero exit) keeps the old file.
cat >"$E2E_TMP/broken-kmodx" <<'SH'
#!/bin/sh
echo '# HELP kmodx_half_written a report cut short'
exit 3
SH
chmod +x "$E2E_TMP/broken-kmodx"
exec_start "$E2E_TMP/broken-kmodx" >"$E2E_TMP/argv"
cp "$P" "$E2E_TMP/before"
if run_service "$ROOT" "$DIR"; then die "ExecStart succeeded although the report failed"; fi
cmp -s "$P" "$E2E_TMP/before" || die "a failed report changed kmodx.prom"
assert_eq "$(ls "$DIR")" kmodx.prom "files left after a failed report"

if command -v systemd-analyze >/dev/null; then
    # Verified beside each other (the timer names the service), with the
    # installed path pointing at the built program.
    mkdir -p "$E2E_TMP/units"
    sed "s|$installed|$KMODX_BUILD/tools/kmodx|g" "$SERVICE" >"$E2E_TMP/units/kmodx-stats-prometheus.service"
    cp "$TIMER" "$E2E_TMP/units/"
    # Documentation=man:kmodx(8) is checked too: the built page, when scdoc made it.
    mkdir -p "$E2E_TMP/man/man8"
    [ ! -f "$KMODX_BUILD/man/kmodx.8" ] || cp "$KMODX_BUILD/man/kmodx.8" "$E2E_TMP/man/man8/"
    out=$(MANPATH=$E2E_TMP/man systemd-analyze verify "$E2E_TMP/units/kmodx-stats-prometheus.service" \
          "$E2E_TMP/units/kmodx-stats-prometheus.timer" 2>&1) || true
    [ -z "$out" ] || die "systemd-analyze verify: $out"
    grep -qx 'WantedBy=timers.target' "$TIMER" || die "timer not wanted by timers.target"
else
    echo "systemd-analyze unavailable: units not verified"
fi
echo "kmodx.prom written atomically, promtool check metrics passed"
