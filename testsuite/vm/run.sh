#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# run.sh: kmodx on Debian's real kernels under qemu (see docs/vm.md).
#
#   testsuite/vm/run.sh [-B BUILD] [-k 6.1|6.12|6.12-stats] [-c CPUS] [-o OUTDIR] [-t TOOL] SCENARIO...
#
# SCENARIO is e2e (scenario 1: the same commands with Debian's kmod and with
# kmodx in two fresh boots, every output line compared) or storm (scenario 2:
# all requests of a boot at once, one boot with kmod, one with kmodx; kmodx
# must make one load syscall per module and get no EEXIST) or udev (scenario
# 3: Debian's systemd-udevd coldplugs the VM's devices, with its stock rules
# and kmod, then with kmodx's override rules and kmodx). Kernel 6.12-stats is
# Debian's 6.12 source built with CONFIG_MODULE_STATS (scenario 4,
# build-stats-kernel.sh; built on first use, which takes hours). Each boot runs
# under `timeout` and powers itself off. Prints a table row per storm and
# exits 0 (pass), 1 (fail) or 77 (cannot run here: skip).
#   BUILD   meson build directory with tools/kmodx (default: build)
#   OUTDIR  logs, results and summary (default: BUILD/vm-results)
#   TOOL    storm with only kmod or only kmodx (no comparison, no assertion
#           that needs both; for investigating one side), or a list of tools
#           ("kmod34 kmodx kmodx-once true true-once"): kmod34 is Debian 13's
#           kmod 34.2 from testsuite/fixtures/debian13-root.sh's root with its
#           own C library, true a do-nothing program as modprobe, NAME-once
#           the storm with one request per module (the floor); kmodx-nodedup is
#           kmodx with `dedup = no` (every duplicate reaches the kernel),
#           kmodx-nodedup-user the same with userspace decompression
#           (init_module, which the kernel never merges), kmodx-nostats
#           kmodx with `stats = no` (what the stats record costs)
# Environment: KMODX_VM_ACCEL=kvm|tcg (default: kvm when a probe boot with it
# succeeds, else tcg), KMODX_VM_TIMEOUT (seconds per boot), KMODX_VM_CACHE (downloads,
# see fetch-kernel.sh), KMODX_VM_KMODX / KMODX_VM_STORM (binaries; default:
# built in BUILD), KMODX_VM_NO_INSTALL=1 (never apt-get install),
# KMODX_VM_STORM_DEADLINE (seconds the storm waits for its requests; default
# 240, 1500 above 8 vCPUs; the boot's default timeout grows with it),
# KMODX_VM_ROUNDS (storm: boot every tool this many times, the order rotated
# each round so that the host's load drifts over all of them alike, and print
# each tool's medians).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=build series=6.1 cpus=8 outdir= tools=
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
# On the stats kernel a third boot lets every duplicate reach the kernel,
# unmerged, so that kmodx's own wasted-bytes figure meets the kernel's.
if [ -z "$tools" ]; then
    tools="kmod kmodx"
    [ "$series" = 6.12-stats ] && tools="$tools kmodx-nodedup-user"
fi
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
# Debian 13's kmod runs from /opt/kmod34 in the initramfs, its binary patched
# to name its own loader (mkinitramfs.sh).
case " $tools " in *" kmod34"*) command -v patchelf >/dev/null || need="$need patchelf" ;; esac
# Scenario 3 boots Debian's udev (copied from the host), scenario 4's kernel
# is built from Debian's source package.
case " $* " in *" udev "*) [ -x /bin/udevadm ] || need="$need udev" ;; esac
if [ "$series" = 6.12-stats ] && [ ! -f "$("$here/build-stats-kernel.sh" -n 2>/dev/null)/kver" ]; then
    for p in linux-source-6.12 bison flex libelf-dev bc libssl-dev; do
        dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
    done
fi
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

case $series in
6.12-stats)
    kdir=$("$here/build-stats-kernel.sh") || skip "cannot build the 6.12-stats kernel (build-stats-kernel.sh)" ;;
*) kdir=$("$here/fetch-kernel.sh" "$series") || skip "no $series kernel (needs Debian's archive)" ;;
esac
kver=$(cat "$kdir/kver")
initrd=$outdir/initrd-$kver.cpio
case " $tools " in *" kmod34"*)
    KMOD34_ROOT=$("$here/../fixtures/debian13-root.sh") ||
        skip "no Debian 13 root for kmod 34.2 (testsuite/fixtures/debian13-root.sh)"
    export KMOD34_ROOT ;;
esac
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
# Under TCG on a small host 32 vCPUs need minutes per module (docs/vm.md:
# kmod's 32-vCPU storm took 653 s, kmodx's 829 s).
deadline=${KMODX_VM_STORM_DEADLINE:-240}
[ -n "${KMODX_VM_STORM_DEADLINE:-}" ] || [ "$cpus" -le 8 ] || deadline=1500
[ "$accel" = kvm ] && limit=${KMODX_VM_TIMEOUT:-300} || limit=${KMODX_VM_TIMEOUT:-$((deadline + 900 > 1200 ? deadline + 900 : 1200))}
mem=2048
[ "$cpus" -gt 8 ] && mem=4096

# Scenario 3's devices: drivers that are modules in Debian's cloud kernels
# (virtio_pci itself in 6.1), several of a kind so that udev's workers ask
# for the same module at once.
udev_devices="-device virtio-rng-pci -device virtio-balloon-pci -device virtio-scsi-pci
 -device virtio-serial-pci -device virtio-keyboard-pci -device virtio-mouse-pci
 -device virtio-tablet-pci -netdev user,id=n0 -device virtio-net-pci,netdev=n0
 -netdev user,id=n1 -device virtio-net-pci,netdev=n1 -netdev user,id=n2
 -device virtio-net-pci,netdev=n2 -netdev user,id=n3 -device virtio-net-pci,netdev=n3"

# boot SCENARIO TOOL: one fresh VM; its results land in $outdir/NAME.results.
boot() {
    devices=
    [ "$1" = udev ] && devices=$udev_devices
    name=$kver-$1-$2-${cpus}cpu${round:-}
    rm -f "$outdir/$name.console" "$outdir/$name.results"
    say "boot $name ($accel)"
    # The host's load when the boot starts: every timing row carries it.
    hostload=$(cut -d' ' -f1-3 /proc/loadavg)
    t0=$(date +%s)
    # shellcheck disable=SC2086
    timeout -k 10 "$limit" qemu-system-x86_64 $accel_args -smp "$cpus" -m "$mem" -nodefaults \
        -display none -no-reboot -kernel "$kdir/vmlinuz" -initrd "$initrd" \
        -serial "file:$outdir/$name.console" -serial "file:$outdir/$name.results" $devices \
        -append "console=ttyS0 panic=-1 loglevel=4 kmodx.scenario=$1 kmodx.tool=$2 kmodx.deadline=$deadline" ||
        say "qemu exited $? (124: timed out after ${limit}s)"
    say "boot $name took $(($(date +%s) - t0)) s"
    tr -d '\r' <"$outdir/$name.results" >"$outdir/$name.txt"
    # A kernel that panicked before /init ran never saw the tool under test
    # (the 6.12 kernels sometimes die in early boot under TCG: an int3 left
    # by static-key patching, in sched_clock_cpu or a timer): boot again, up
    # to three times in all (two in a row happened; a lost boot loses its
    # whole round).
    [ "${retried:-}" = "$name" ] || retries=0
    if [ "$retries" -lt 2 ] && ! grep -q '^KMODX-RESULT begin' "$outdir/$name.txt" &&
        grep -q 'Kernel panic' "$outdir/$name.console"; then
        say "$name: kernel panicked before /init ($(grep -m1 -o 'RIP: [^ ]*' "$outdir/$name.console")), booting again"
        mv "$outdir/$name.console" "$outdir/$name.panic$retries.console"
        retried=$name retries=$((retries + 1))
        boot "$@"
        return
    fi
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
    # With the kernel's formats hidden, kmodx must have decompressed itself.
    if [ "$(get "$b" e2e_user_compression_hidden)" = 1 ]; then
        finit=$(get "$b" e2e_user_finit_module) init=$(get "$b" e2e_user_init_module)
        [ "$finit" = 0 ] && [ "${init:-0}" -gt 0 ] ||
            fail "e2e $kver: kmodx made $finit finit_module and $init init_module calls with the kernel's formats hidden (expected init_module only)"
        say "e2e $kver: with the kernel's formats hidden kmodx decompressed in userspace ($init init_module calls)"
    fi
}

# run_rounds SCENARIO: SCENARIO_round for every tool, KMODX_VM_ROUNDS times
# with the order rotated (each round starts with the last one's second
# tool), then SCENARIO_medians when there was more than one round.
run_rounds() {
    rounds=${KMODX_VM_ROUNDS:-1} n=1 order=$tools
    while [ "$n" -le "$rounds" ]; do
        round=
        [ "$rounds" = 1 ] || round=-r$n
        "$1_round" "$order"
        set -- "$1" $order
        scenario=$1
        shift 2
        order="$* ${order%% *}"
        set -- "$scenario"
        n=$((n + 1))
    done
    round=
    [ "$rounds" = 1 ] || "$1_medians"
}

run_storm() { run_rounds storm; }

# over_rounds SCENARIO TOOL KEY: KEY in each round's results of TOOL, in
# round order (host_load: the 1-minute load average at the boot's start).
over_rounds() {
    i=1
    while [ "$i" -le "$rounds" ]; do
        r=$kver-$1-$2-${cpus}cpu-r$i
        if [ "$3" = host_load ]; then
            sed -n 's/^host_load=//p' "$outdir/$r.txt" | cut -d' ' -f1
        else
            get "$r" "$3"
        fi
        i=$((i + 1))
    done | tr '\n' ' '
}
med() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
commas() { echo $* | tr ' ' ,; }

# storm_medians: per tool over the rounds, the median wall time, CPU time,
# load syscalls and EEXIST, and the host's load averages seen at the boots' starts.
storm_medians() {
    for tool in $tools; do
        walls=$(over_rounds storm "$tool" storm_wall_ms)
        printf '| median of %s | %s | %s | %s | %s | wall %s ms (%s) | CPU %s ms | load syscalls %s | EEXIST %s | host load 1-min %s |\n' \
            "$rounds" "$kver" "$cpus" "$accel" "$tool" "$(med $walls)" "$(commas $walls)" \
            "$(med $(over_rounds storm "$tool" storm_cpu_ms))" "$(med $(over_rounds storm "$tool" storm_load_syscalls))" \
            "$(med $(over_rounds storm "$tool" storm_eexist))" "$(commas $(over_rounds storm "$tool" host_load))" |
            tee -a "$outdir/summary.md"
    done
}

storm_round() {
    for tool in $1; do
        boot storm "$tool" || { fail "storm boot with $tool"; return; }
        r=$kver-storm-$tool-${cpus}cpu$round
        echo "host_load=$hostload" >>"$outdir/$r.txt"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s MB | %s ms | %s ms | %s |\n' \
            "$kver" "$cpus" "$accel" "$tool$round" "$(get "$r" storm_requests)" \
            "$(get "$r" storm_load_syscalls)" "$(get "$r" storm_eexist)" "$(get "$r" storm_ebusy)" \
            "$(get "$r" storm_ret_other)" "$(get "$r" storm_formed_modules)" \
            "$(mb "$(get "$r" storm_vmalloc_before_kb)") -> $(mb "$(get "$r" storm_vmalloc_peak_kb)")" \
            "$(get "$r" storm_wall_ms)$(unfinished "$r")" "$(get "$r" storm_cpu_ms)" "$hostload" |
            tee -a "$outdir/summary.md"
        [ "$(get "$r" storm_trace_overrun)" = 0 ] || fail "$r: trace buffer overran, counts are low"
        kernel_stats "$r" "$tool"
    done
    a=$kver-storm-kmod-${cpus}cpu$round b=$kver-storm-kmodx-${cpus}cpu$round
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

# A diagnostic, not part of the suites: one load each of kvm and xfs with
# the other vCPUs idle, then busy (patching.sh).
run_patching() {
    for tool in $tools; do
        boot patching "$tool" || { fail "patching boot with $tool"; return; }
        r=$kver-patching-$tool-${cpus}cpu
        grep '^KMODX-RESULT patching_' "$outdir/$r.txt" | sed 's/^KMODX-RESULT patching_/| '"$kver | $cpus | $tool"' | /; s/$/ |/' |
            tee -a "$outdir/summary.md"
    done
}

# stats_lines RUN PREFIX: one kind of report lines of a run, prefix removed
# (KMODX-STATS: kmodx's `modprobe --stats`, KMODX-KSTATS: the kernel's
# /sys/kernel/debug/modules/stats).
stats_lines() { sed -n "s/^$2 //p" "$outdir/$1.txt"; }

# A requester's row of kmodx's "Requests by requester:" section: requests
# loaded live suppressed kernel-duplicates failed.
requester_row() {
    stats_lines "$1" KMODX-STATS | awk -v r="$2" '
        /^Requests by requester:/ { on = 1; next }
        on && /^[ \t]*$/ { on = 0 }
        on { sub(/^[ \t]+/, ""); if ($1 == r) { $1 = ""; sub(/^ /, ""); print; exit } }'
}

# device_loads RUN: rows of RUN's --stats "Device requests" section that are
# loads with a device path.
device_loads() {
    stats_lines "$1" KMODX-STATS | awk '
        /^Device requests/ { on = 1; next }
        on && /^[ \t]*$/ { on = 0 }
        on && $2 == "loaded" && $4 ~ /^\/devices\// { n++ }
        END { print n + 0 }'
}

# stats_row RUN LABEL: RUN's last row for LABEL in kernel-stats.md.
stats_row() { grep -F "| $1 | $2 |" "$outdir/kernel-stats.md" | tail -n 1; }

# kernel_stats RUN TOOL: on a kernel with CONFIG_MODULE_STATS, its figures beside
# kmodx's for the same boot (the "Kernel's own figures" section of
# `modprobe --stats`): loads, sizes, duplicate failures, wasted bytes.
kernel_stats() {
    grep -q '^KMODX-KSTATS' "$outdir/$1.txt" || return 0
    stats_lines "$1" KMODX-STATS | awk -v run="$1" '
        /^Kernel.s own figures/ { on = 1; next }
        on && /^[ \t]*$/ { on = 0 }
        on {
            n = split($0, f, "\t"); label = f[1]; sub(/^ +/, "", label)
            if (n < 3 || label == "Figure") next
            a = f[2]; b = f[3]; gsub(/ /, "", a); gsub(/ /, "", b)
            d = (b > 0) ? sprintf("%+.1f%%", (a - b) * 100 / b) : (a == 0 ? "=" : "n/a")
            printf "| %s | %s | %s | %s | %s |\n", run, label, a, b, d
        }' | tee -a "$outdir/kernel-stats.md"
    # On a kmodx boot both count the same loads: these rows must agree
    # (docs/stats.md: merged_in_kernel, what a loaded module occupies). The
    # tool, not the run's name: the stats kernel's release says kmodx too.
    case $2 in kmodx*)
        for label in "Mods ever loaded" "Total module size" "Total mod text size"; do
            row=$(stats_row "$1" "$label")
            [ -z "$row" ] || [ "$(printf '%s\n' "$row" | awk -F'|' '{gsub(/ /, "", $4); gsub(/ /, "", $5); print ($4 == $5)}')" = 1 ] ||
                fail "$1: kmodx and the kernel disagree on $label: $row"
        done ;;
    esac
    # Every duplicate in the kernel, recorded by kmodx: its wasted bytes
    # within 10% of the kernel's (the split between becoming and load
    # failures is the one thing kmodx cannot see), none missed.
    case $2 in kmodx-nodedup-user)
        row=$(stats_row "$1" "Virtual mem wasted bytes")
        printf '%s\n' "$row" | awk -F'|' '{ a = $4 + 0; b = $5 + 0; exit !(b > 0 && a >= b * 0.9 && a <= b * 1.1) }' ||
            fail "$1: kmodx's wasted bytes not within 10% of the kernel's: ${row:-no row}"
        row=$(stats_row "$1" "Duplicate failures")
        [ "$(printf '%s\n' "$row" | awk -F'|' '{ print ($4 + 0 == $5 + 0 && $5 + 0 > 0) }')" = 1 ] ||
            fail "$1: kmodx and the kernel disagree on the duplicates: ${row:-no row}" ;;
    esac
    # kmodx's cost rules applied to the kernel's own list of duplicates: the
    # estimate kmodx would make for a boot it did not record (stock kmod
    # decompresses in userspace; kmodx lets the kernel do it).
    case $2 in kmod | kmodx-nodedup-user) who=user ;; *) who=kernel ;; esac
    echo "| $1 | cost rules on the kernel's duplicate list ($who decompression) | $("$here/estimate-wasted.sh" "$outdir/$1.txt" "$kdir" "$who" 2>&1) |" |
        tee -a "$outdir/kernel-stats.md"
}

run_udev() { run_rounds udev; }

# udev_medians: per tool over the rounds, the median settle time (the
# benchmark issue 18 asks for: paired boots, medians) and load syscalls.
udev_medians() {
    for tool in $tools; do
        settles=$(over_rounds udev "$tool" udev_settle_ms)
        printf '| median of %s | udev | %s | %s | %s | %s | settle %s ms (%s) | load syscalls %s | EEXIST %s | host load 1-min %s |\n' \
            "$rounds" "$kver" "$cpus" "$accel" "$tool" "$(med $settles)" "$(commas $settles)" \
            "$(med $(over_rounds udev "$tool" udev_load_syscalls))" "$(med $(over_rounds udev "$tool" udev_eexist))" \
            "$(commas $(over_rounds udev "$tool" host_load))" | tee -a "$outdir/summary.md"
    done
}

udev_round() {
    for tool in $1; do
        boot udev "$tool" || { fail "udev boot with $tool"; return; }
        r=$kver-udev-$tool-${cpus}cpu$round
        echo "host_load=$hostload" >>"$outdir/$r.txt"
        [ "$tool" = kmodx ] && rules="kmodx override" || rules="stock (builtin kmod)"
        printf '| udev | %s | %s | %s | %s | %s | %s modalias events (%s distinct) | %s | %s | %s | %s | %s | %s | settle %s ms | udev: %s |\n' \
            "$kver" "$cpus" "$accel" "$tool$round" "$rules" "$(get "$r" udev_modalias_events)" \
            "$(get "$r" udev_distinct_modaliases)" "$(get "$r" udev_load_syscalls)" \
            "$(get "$r" udev_eexist)" "$(get "$r" udev_ebusy)" "$(get "$r" udev_ret_other)" \
            "$(get "$r" udev_formed_modules)" "$(get "$r" udev_kernel_requests)" \
            "$(get "$r" udev_settle_ms)" "$(requester_row "$r" udev)" | tee -a "$outdir/summary.md"
        [ "$(get "$r" udev_trace_overrun)" = 0 ] || fail "$r: trace buffer overran, counts are low"
        [ "$(get "$r" udev_settle_exit)" = 0 ] || fail "$r: udevadm settle timed out"
        [ "$(get "$r" udev_modalias_events)" -gt 0 ] 2>/dev/null || fail "$r: udev saw no device with a MODALIAS"
    done
    a=$kver-udev-kmod-${cpus}cpu$round b=$kver-udev-kmodx-${cpus}cpu$round
    case " $tools " in *" kmodx "*) ;; *) return ;; esac
    # Coldplug lasts a minute or more: a module whose init failed (ENODEV)
    # may be tried again by an event that comes after kmodx's failure cache
    # expired. Such a retry forms the module again; a duplicate of a live or
    # coming module would get EEXIST or EBUSY.
    syscalls=$(get "$b" udev_load_syscalls) formed=$(get "$b" udev_formed_modules)
    [ "$((syscalls - formed))" -le "$(get "$b" udev_ret_other)" ] ||
        fail "udev $kver ${cpus}cpu: kmodx made $syscalls load syscalls for $formed modules"
    [ "$(get "$b" udev_eexist)" = 0 ] && [ "$(get "$b" udev_ebusy)" = 0 ] ||
        fail "udev $kver ${cpus}cpu: kmodx got EEXIST $(get "$b" udev_eexist) and EBUSY $(get "$b" udev_ebusy) times"
    [ -n "$(requester_row "$b" udev)" ] ||
        fail "udev $kver ${cpus}cpu: kmodx's --stats shows no request from udev"
    [ "$(get "$b" udev_override_state)" = on ] ||
        fail "udev $kver ${cpus}cpu: kmodx udev preset left the override '$(get "$b" udev_override_state)'"
    # Each device's load names the device: rows of --stats' device requests,
    # loaded, with a DEVPATH.
    [ "$(device_loads "$b")" -gt 0 ] ||
        fail "udev $kver ${cpus}cpu: kmodx's --stats names no device for udev's loads"
    case " $tools " in *" kmod "*) ;; *) return ;; esac
    [ "$(get "$a" udev_loaded)" = "$(get "$b" udev_loaded)" ] ||
        fail "udev $kver ${cpus}cpu: modules loaded differ: stock [$(get "$a" udev_loaded)] kmodx [$(get "$b" udev_loaded)]"
}

for s in "$@"; do
    case $s in
    e2e) run_e2e ;;
    storm) run_storm ;;
    udev) run_udev ;;
    patching) run_patching ;;
    *) say "unknown scenario '$s' (e2e, storm, udev, patching)"; exit 2 ;;
    esac
done
exit $status
