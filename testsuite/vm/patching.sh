# SPDX-License-Identifier: LGPL-2.1-or-later
# Diagnostic scenario (guest side; run by /init with the result port as $1):
# how long one load of a module with many static calls (tracepoints) takes
# with every other vCPU idle, and with every other vCPU kept busy. Written
# for the 32-vCPU storms (docs/vm.md), whose standstills were such loads
# holding the kernel's static-call mutex while every other load queued
# behind it: the kernel patches each call site with IPIs to all CPUs.
out=$1
res() { echo "KMODX-RESULT patching_$*" >"$out"; }
modules=${KMODX_PATCHING_MODULES:-kvm xfs}

uptime_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }

# timed LABEL: loads every module of $modules in turn, timing each, then
# removes them again.
timed() {
    for m in $modules; do
        t0=$(uptime_cs)
        /sbin/modprobe "$m" 2>>/tmp/patching.err
        rc=$?
        t1=$(uptime_cs)
        res "$1_$m=$((t1 - t0))0 ms rc=$rc"
    done
    for m in $modules; do /sbin/modprobe -r "$m" 2>>/tmp/patching.err; done
}

res "cpus=$(nproc)"
timed idle
i=1 pids=
while [ "$i" -lt "$(nproc)" ]; do
    (while :; do :; done) &
    pids="$pids $!"
    i=$((i + 1))
done
sleep 5
timed busy
kill $pids 2>/dev/null
res "stderr=$(head -c 300 /tmp/patching.err | tr '\n' ' ')"
