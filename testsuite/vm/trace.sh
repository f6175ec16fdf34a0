# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the guest scenarios: counts every load syscall and its return
# value with the kernel's own syscall tracepoints, and every module that got
# as far as its init function (module:module_load fires once the module is
# formed, whether its init then succeeds or fails; duplicates that fail with
# EEXIST/EBUSY never reach it).
T=/sys/kernel/tracing
[ -d $T/events ] || T=/sys/kernel/debug/tracing

trace_start() {
    echo 0 >$T/tracing_on
    : >$T/trace
    # Timestamps on CLOCK_MONOTONIC, the clock of the storm's release and
    # finish times (the default, local, drifts from it under TCG).
    echo mono >$T/trace_clock 2>/dev/null || true
    for e in syscalls/sys_enter_finit_module syscalls/sys_exit_finit_module syscalls/sys_exit_init_module module/module_load \
        module/module_request; do
        echo 1 >$T/events/$e/enable || echo "KMODX-RESULT trace_error=cannot enable $e" >"$out"
    done
    echo 1 >$T/tracing_on
}

# trace_report PREFIX: KMODX-RESULT lines with the counts since trace_start.
trace_report() {
    echo 0 >$T/tracing_on
    cat $T/trace >/tmp/trace.txt
    overrun=0
    for s in $T/per_cpu/cpu*/stats; do
        o=$(sed -n 's/^overrun: //p' "$s")
        overrun=$((overrun + ${o:-0}))
    done
    echo "KMODX-RESULT $1trace_overrun=$overrun" >"$out"
    awk -v p="$1" '
        / sys_finit_module -> / { finit++; ret($NF) }
        / sys_init_module -> /  { init++; ret($NF) }
        / module_request: / { requests++ }
        / module_load: / {
            for (i = 1; i <= NF; i++) if ($i == "module_load:") { n = $(i + 1); break }
            loaded[n]++
        }
        function ret(r) {
            if (r == "0x0") ok++
            else if (r == "0xffffffffffffffef") eexist++
            else if (r == "0xfffffffffffffff0") ebusy++
            else { other++; others[r]++ }
        }
        END {
            printf "KMODX-RESULT %sload_syscalls=%d\n", p, finit + init
            printf "KMODX-RESULT %sfinit_module=%d\n", p, finit
            printf "KMODX-RESULT %sinit_module=%d\n", p, init
            printf "KMODX-RESULT %sret_ok=%d\n", p, ok
            printf "KMODX-RESULT %seexist=%d\n", p, eexist
            printf "KMODX-RESULT %sebusy=%d\n", p, ebusy
            printf "KMODX-RESULT %sret_other=%d\n", p, other
            for (r in others) printf "KMODX-RESULT %sret_%s=%d\n", p, r, others[r]
            distinct = 0; dup = 0; names = ""
            for (n in loaded) { distinct++; if (loaded[n] > 1) dup += loaded[n] - 1; names = names " " n }
            printf "KMODX-RESULT %sformed_modules=%d\n", p, distinct
            printf "KMODX-RESULT %sformed_twice=%d\n", p, dup
            printf "KMODX-RESULT %sformed_names=%s\n", p, names
            printf "KMODX-RESULT %skernel_requests=%d\n", p, requests
        }' /tmp/trace.txt >"$out"
}

# trace_dump: the raw events, for reading a surprising count afterwards.
trace_dump() {
    grep -v '^#' /tmp/trace.txt | sed 's/^ */KMODX-TRACE /' >"$out"
}

# stats_dump: the kernel's own module statistics when it has them
# (CONFIG_MODULE_STATS: scenario 4's kernel) as KMODX-KSTATS lines, and
# kmodx's `modprobe --stats` for the same boot as KMODX-STATS lines (empty of
# events when Debian's kmod was the tool: kmod records nothing).
stats_dump() {
    if [ -r /sys/kernel/debug/modules/stats ]; then
        sed 's/^/KMODX-KSTATS /' /sys/kernel/debug/modules/stats >"$out"
    fi
    /opt/kmodx/kmodx modprobe --stats >/tmp/stats.txt 2>&1
    echo "KMODX-RESULT stats_exit=$?" >"$out"
    sed 's/^/KMODX-STATS /' /tmp/stats.txt >"$out"
}
