#!/bin/sh
# run.sh: kmodx on Debian's real kernels under qemu (see docs/vm.md).
#
#   testsuite/vm/run.sh [-B BUILD] [-k 6.1|6.12] [-c CPUS] [-o OUTDIR] [-t TOOL] SCENARIO...
#
# SCENARIO is e2e (scenario 1: the same commands with Debian's kmod and with
# kmodx in two fresh boots, every output line compared) or storm (scenario 2:
# all requests of a boot at once, one boot with kmod, one with kmodx; kmodx
# must make one load syscall per module and get no EEXIST). Each boot runs
# under `timeout` and powers itself off. Prints a table row per storm and
# exits 0 (pass), 1 (fail) or 77 (cannot run here: skip).
#   BUILD   meson build directory with tools/kmodx (default: build)
#   OUTDIR  logs, results and summary (default: BUILD/vm-results)
#   TOOL    storm with only kmod or only kmodx (no comparison, no assertion
#           that needs both; for investigating one side)
# Environment: KMODX_VM_ACCEL=kvm|tcg (default: kvm when a probe boot with it
# succeeds, else tcg), KMODX_VM_TIMEOUT (seconds per boot), KMODX_VM_CACHE (downloads,
# see fetch-kernel.sh), KMODX_VM_KMODX / KMODX_VM_STORM (binaries; default:
# built in BUILD), KMODX_VM_NO_INSTALL=1 (never apt-get install).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=build series=6.1 cpus=8 outdir= tools="kmod kmodx"
while getopts B:k:c:o:t: opt; do
    case $opt in
    B) build=$OPTARG ;;
    k) series=$OPTARG ;;
    c) cpus=$OPTARG ;;
    o) outdir=$OPTARG ;;
    t) tools=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- e2e storm
outdir=${outdir:-$build/vm-results}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

say() { echo "vm: $*" >&2; }
skip() { say "SKIP: $*"; exit 77; }

# The bed's own packages; the default test run never needs them.
need=
command -v qemu-system-x86_64 >/dev/null || need="$need qemu-system-x86"
file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || need="$need busybox-static"
command -v cpio >/dev/null || need="$need cpio"
command -v file >/dev/null || need="$need file"
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ] && [ "${KMODX_VM_NO_INSTALL:-0}" != 1 ]; then
        say "installing$need"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need >&2 ||
            skip "cannot install$need"
    else
        skip "missing packages:$need"
    fi
fi
[ "$(id -u)" = 0 ] || skip "needs root (mknod for the initramfs, /dev/kvm)"

kmodx=${KMODX_VM_KMODX:-$build/tools/kmodx}
storm=${KMODX_VM_STORM:-$build/testsuite/vm/kmodx-vm-storm}
if [ -z "${KMODX_VM_KMODX:-}" ]; then
    ninja -C "$build" tools/kmodx testsuite/vm/kmodx-vm-storm >"$outdir/ninja.log" 2>&1 ||
        { cat "$outdir/ninja.log" >&2; exit 1; }
fi
[ -x "$kmodx" ] && [ -x "$storm" ] || { say "no $kmodx or $storm"; exit 1; }

kdir=$("$here/fetch-kernel.sh" "$series") || skip "no $series kernel (needs Debian's archive)"
kver=$(cat "$kdir/kver")
initrd=$outdir/initrd-$kver.cpio
"$here/mkinitramfs.sh" "$kdir" "$kmodx" "$storm" "$initrd"

# KVM only if a kernel really boots with it: an openable /dev/kvm is not
# enough (nested KVM on this project's build machine hangs in early boot, and
# `-cpu host` aborts on an MSR it cannot set). The probe boots without an
# initramfs and waits for the kernel's "cannot mount root" panic.
kvm_args="-accel kvm -cpu host,-arch-capabilities"
tcg_args="-accel tcg,thread=multi -cpu max"
kvm_boots() {
    (exec 3<>/dev/kvm) 2>/dev/null || return 1
    # shellcheck disable=SC2086
    timeout -k 5 20 qemu-system-x86_64 $kvm_args -smp 1 -m 256 -nodefaults -display none \
        -no-reboot -kernel "$kdir/vmlinuz" -serial "file:$outdir/kvm-probe.console" \
        -append "console=ttyS0 panic=-1" >/dev/null 2>&1 || true
    grep -q 'Kernel panic' "$outdir/kvm-probe.console" 2>/dev/null
}
# The probe's answer is kept in OUTDIR for the runs after it (remove
# OUTDIR/accel to probe again).
accel=${KMODX_VM_ACCEL:-$(cat "$outdir/accel" 2>/dev/null || true)}
if [ -z "$accel" ]; then
    if kvm_boots; then accel=kvm; else accel=tcg; say "KVM does not boot a kernel here, using TCG"; fi
    echo "$accel" >"$outdir/accel"
fi
case $accel in
kvm) accel_args=$kvm_args ;;
tcg) accel_args=$tcg_args ;;
*) say "KMODX_VM_ACCEL must be kvm or tcg"; exit 2 ;;
esac
[ "$accel" = kvm ] && limit=${KMODX_VM_TIMEOUT:-300} || limit=${KMODX_VM_TIMEOUT:-1200}
mem=2048
[ "$cpus" -gt 8 ] && mem=4096

# boot SCENARIO TOOL: one fresh VM; its results land in $outdir/NAME.results.
boot() {
    name=$kver-$1-$2-${cpus}cpu
    rm -f "$outdir/$name.console" "$outdir/$name.results"
    say "boot $name ($accel)"
    t0=$(date +%s)
    # shellcheck disable=SC2086
    timeout -k 10 "$limit" qemu-system-x86_64 $accel_args -smp "$cpus" -m "$mem" -nodefaults \
        -display none -no-reboot -kernel "$kdir/vmlinuz" -initrd "$initrd" \
        -serial "file:$outdir/$name.console" -serial "file:$outdir/$name.results" \
        -append "console=ttyS0 panic=-1 loglevel=4 kmodx.scenario=$1 kmodx.tool=$2" ||
        say "qemu exited $? (124: timed out after ${limit}s)"
    say "boot $name took $(($(date +%s) - t0)) s"
    tr -d '\r' <"$outdir/$name.results" >"$outdir/$name.txt"
    if ! grep -q '^KMODX-RESULT end' "$outdir/$name.txt"; then
        say "$name did not finish; console tail:"
        tail -n 20 "$outdir/$name.console" >&2
        return 1
    fi
}
get() { sed -n "s/^KMODX-RESULT $2=//p" "$outdir/$1.txt" | head -n 1; }
mb() { echo $(((${1:-0} + 512) / 1024)); }
unfinished() {
    u=$(get "$1" storm_unfinished)
    [ "${u:-0}" = 0 ] || echo " ($u requests unfinished at the deadline)"
}

status=0
fail() { say "FAIL: $*"; status=1; }

run_e2e() {
    boot e2e kmod || { fail "e2e boot with kmod"; return; }
    boot e2e kmodx || { fail "e2e boot with kmodx"; return; }
    a=$kver-e2e-kmod-${cpus}cpu b=$kver-e2e-kmodx-${cpus}cpu
    grep '^KMODX-E2E' "$outdir/$a.txt" >"$outdir/$a.e2e"
    grep '^KMODX-E2E' "$outdir/$b.txt" >"$outdir/$b.e2e"
    steps=$(grep -c '^KMODX-E2E [0-9]* S ' "$outdir/$a.e2e" || true)
    [ "$steps" -gt 0 ] || fail "e2e: no steps ran"
    if diff -u "$outdir/$a.e2e" "$outdir/$b.e2e" >"$outdir/$kver-e2e.diff"; then
        say "e2e $kver: $steps steps, kmodx output equals kmod's"
    else
        fail "e2e $kver: outputs differ ($outdir/$kver-e2e.diff):"
        head -n 40 "$outdir/$kver-e2e.diff" >&2
    fi
    printf '| e2e | %s | %s | %s | %s steps | kmod: %s load syscalls | kmodx: %s load syscalls |\n' \
        "$kver" "$cpus" "$accel" "$steps" "$(get "$a" e2e_load_syscalls)" \
        "$(get "$b" e2e_load_syscalls)" | tee -a "$outdir/summary.md"
}

run_storm() {
    for tool in $tools; do
        boot storm "$tool" || { fail "storm boot with $tool"; return; }
        r=$kver-storm-$tool-${cpus}cpu
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s MB | %s ms |\n' \
            "$kver" "$cpus" "$accel" "$tool" "$(get "$r" storm_requests)" \
            "$(get "$r" storm_load_syscalls)" "$(get "$r" storm_eexist)" "$(get "$r" storm_ebusy)" \
            "$(get "$r" storm_ret_other)" "$(get "$r" storm_formed_modules)" \
            "$(mb "$(get "$r" storm_vmalloc_before_kb)") -> $(mb "$(get "$r" storm_vmalloc_peak_kb)")" \
            "$(get "$r" storm_wall_ms)$(unfinished "$r")" |
            tee -a "$outdir/summary.md"
        [ "$(get "$r" storm_trace_overrun)" = 0 ] || fail "$r: trace buffer overran, counts are low"
    done
    a=$kver-storm-kmod-${cpus}cpu b=$kver-storm-kmodx-${cpus}cpu
    case " $tools " in *" kmodx "*) ;; *) return ;; esac
    syscalls=$(get "$b" storm_load_syscalls) formed=$(get "$b" storm_formed_modules)
    [ "$syscalls" = "$formed" ] ||
        fail "storm $kver ${cpus}cpu: kmodx made $syscalls load syscalls for $formed modules"
    [ "$(get "$b" storm_formed_twice)" = 0 ] ||
        fail "storm $kver ${cpus}cpu: kmodx formed a module twice"
    [ "$(get "$b" storm_eexist)" = 0 ] ||
        fail "storm $kver ${cpus}cpu: kmodx got EEXIST $(get "$b" storm_eexist) times"
    case " $tools " in *" kmod "*) ;; *) return ;; esac
    [ "$(get "$a" storm_loaded)" = "$(get "$b" storm_loaded)" ] ||
        fail "storm $kver ${cpus}cpu: modules loaded differ: kmod [$(get "$a" storm_loaded)] kmodx [$(get "$b" storm_loaded)]"
    [ "$(get "$a" storm_failed)" = "$(get "$b" storm_failed)" ] ||
        say "note: failed requests kmod $(get "$a" storm_failed), kmodx $(get "$b" storm_failed)"
}

for s in "$@"; do
    case $s in
    e2e) run_e2e ;;
    storm) run_storm ;;
    *) say "unknown scenario '$s' (e2e, storm)"; exit 2 ;;
    esac
done
exit $status
