# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by storm.sh: what the modprobe processes and the kernel are doing,
# sampled while the storm runs, as KMODX-SAMPLE lines. Written to explain the
# standstills of the 32-vCPU boots (docs/vm.md), where the trace showed no
# load returning for many minutes and nothing said why. A starved guest must
# not be slowed further by the looking: one awk pass over /proc per sample,
# kernel stacks only for tasks that sleep uninterruptibly or in a load call.

# sample_once: one sample. Lines, each led by KMODX-SAMPLE t=UPTIME:
#   run=N blocked=N load=L1,L5          /proc/stat, /proc/loadavg
#   modprobe state=S sc=NR wchan=W n=COUNT cpu=TICKS
#                                       modprobe processes by state, syscall
#                                       number (313 finit, 175 init, 73 flock,
#                                       'running') and wchan, with their CPU
#   stack n=COUNT comms=... frames=F<F<...
#                                       D-state tasks and modprobes in a load
#                                       call, by kernel stack
#   kernel_spawned pid=P state=S sc=NR wchan=W args=...
#                                       modprobes the kernel started
#   pending module=M pid=P state=S sc=NR wchan=W
#                                       lock records of loads in progress
#   coming=NAMES                        /proc/modules entries still Loading
sample_once() {
    t=$(cut -d' ' -f1 /proc/uptime)
    awk -v t="$t" '
        function line(f,   l) { l = "?"; if ((getline l < f) <= 0) l = "?"; close(f); return l }
        function frames(p,   f, l, s, n) {
            f = p "/stack"; s = ""; n = 0
            while (n < 10 && (getline l < f) > 0) {
                sub(/^\[<[0-9a-f]*>\] /, "", l); sub(/\+0x.*/, "", l)
                s = s (n ? "<" : "") l; n++
            }
            close(f)
            return s == "" ? "?" : s
        }
        BEGIN {
            for (i = 1; i < ARGC; i++) {
                p = ARGV[i]
                st = line(p "/stat")
                if (st == "?") continue
                # comm may hold spaces and parentheses: cut at the last ")".
                o = index(st, "("); c = 0
                for (k = o + 1; k <= o + 18 && k <= length(st); k++) if (substr(st, k, 1) == ")") c = k
                if (!c) continue
                comm = substr(st, o + 1, c - o - 1)
                split(substr(st, c + 2), f, " ")
                state = f[1]; ppid = f[2]; ticks = f[12] + f[13]
                if (comm == "modprobe") {
                    sc = line(p "/syscall"); split(sc, a, " "); nr = a[1]
                    w = line(p "/wchan"); if (w == "" || w == "0") w = "-"
                    key = "state=" state " sc=" nr " wchan=" w
                    n[key]++; cpu[key] += ticks
                    pc = line("/proc/" ppid "/comm")
                    if (pc ~ /^kworker/ || pc == "kthreadd")
                        spawned[substr(p, 7)] = "state=" state " sc=" nr " wchan=" w " parent=" pc
                    inload = (nr == 313 || nr == 175)
                } else inload = 0
                if (state == "D" || inload) {
                    s = frames(p)
                    sn[s]++
                    if (index(sc_comms[s], " " comm) == 0) sc_comms[s] = sc_comms[s] " " comm
                }
            }
            for (key in n) printf "KMODX-SAMPLE t=%s modprobe %s n=%d cpu=%d\n", t, key, n[key], cpu[key]
            for (s in sn) printf "KMODX-SAMPLE t=%s stack n=%d comms=%s frames=%s\n", t, sn[s], substr(sc_comms[s], 2), s
            for (pid in spawned) printf "KMODX-SAMPLE t=%s kernel_spawned pid=%s %s\n", t, pid, spawned[pid]
        }' /proc/[0-9]* >/tmp/sample.txt
    # What the kernel started gets its arguments (few: one per kernel request).
    while read -r l; do
        case $l in
        *" kernel_spawned pid="*)
            p=${l#* kernel_spawned pid=}
            l="$l args=$(tr '\0' ' ' <"/proc/${p%% *}/cmdline" 2>/dev/null)" ;;
        esac
        echo "$l"
    done </tmp/sample.txt >"$out"
    echo "KMODX-SAMPLE t=$t run=$(sed -n 's/^procs_running //p' /proc/stat)" \
        "blocked=$(sed -n 's/^procs_blocked //p' /proc/stat)" \
        "load=$(cut -d' ' -f1,2 /proc/loadavg | tr ' ' ,)" >"$out"
    for f in $(grep -l '^err pending' /run/kmodx/locks/* 2>/dev/null); do
        p=$(sed -n 's/^pid //p' "$f")
        echo "KMODX-SAMPLE t=$t pending module=${f##*/} pid=$p" \
            "state=$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null) sc=$(cut -d' ' -f1 "/proc/$p/syscall" 2>/dev/null)" \
            "wchan=$(cat "/proc/$p/wchan" 2>/dev/null)" >"$out"
    done
    echo "KMODX-SAMPLE t=$t coming=$(awk '$5 == "Loading" {printf "%s ", $1}' /proc/modules)" >"$out"
}

# sampler_start PERIOD: samples every PERIOD seconds until sampler_stop.
sampler_start() {
    (
        while :; do
            sleep "$1"
            sample_once
        done
    ) &
    sampler_pid=$!
}

sampler_stop() {
    [ -n "${sampler_pid:-}" ] && kill "$sampler_pid" 2>/dev/null
    sampler_pid=
}

# hung_tasks_dump: the kernel's hung-task reports with their call traces
# (printed below the console's loglevel, so only the log has them).
hung_tasks_dump() {
    dmesg | awk '/blocked for more than/ {on = 1; n = 0} on && n++ < 40 {print "KMODX-HUNG " $0} /<\/TASK>/ {on = 0}' >"$out"
}
