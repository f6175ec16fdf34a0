# SPDX-License-Identifier: LGPL-2.1-or-later
# Scenario 2, the boot storm (guest side; run by /init with the result port
# as $1). For every CPU at once: `modprobe -q -- NAME` for each module of the
# seed report plus xfs, btrfs, dm_mod and loop, and `modprobe -b -q` of the
# CPU's modalias, as udev does once per CPU device. Names built into this
# kernel are requested too (a boot asks for them anyway); they cost no
# syscall. With KMODX_STORM_ONCE=1 (tool NAME-once in init) each name and the
# modalias are asked for once, not once per CPU: the floor. With
# KMODX_STORM_LIVE=1 (tool NAME-live) one CPU's requests run first, unmeasured
# but for their wall time (storm_warm_wall_ms), so that the storm itself finds
# every module live or its failure known: what the requests cost when nothing
# is left to load.
out=$1
. /vm/trace.sh
. /vm/sampler.sh
modules="irqbypass kvm kvm_intel crct10dif_pclmul ghash_clmulni_intel sha512_ssse3
sha512_generic cryptd crypto_simd aesni_intel evdev serio_raw virtio virtio_ring
virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci crc64 crc64_rocksoft t10_pi
nvme_core nvme crc32_pclmul crc32c_intel xfs btrfs dm_mod loop"
res() { echo "KMODX-RESULT storm_$*" >"$out"; }

modalias=$(cat /sys/devices/system/cpu/modalias)
cpus=$(nproc)
[ "${KMODX_STORM_ONCE:-0}" = 1 ] && cpus=1
i=0
: >/tmp/storm.cmds
while [ $i -lt "$cpus" ]; do
    for m in $modules; do
        echo "/sbin/modprobe -q -- $m" >>/tmp/storm.cmds
    done
    echo "/sbin/modprobe -b -q -- $modalias" >>/tmp/storm.cmds
    i=$((i + 1))
done
if [ "${KMODX_STORM_LIVE:-0}" = 1 ]; then
    head -n "$(($(echo $modules | wc -w) + 1))" /tmp/storm.cmds >/tmp/storm-warm.cmds
    /bin/kmodx-vm-storm /tmp/storm-warm.cmds "${KMODX_STORM_DEADLINE_S:-240}" 2>/dev/null |
        sed -n 's/^wall_ms=/warm_wall_ms=/p' | while read -r l; do res "$l"; done
fi
res "modules_before=$(wc -l </proc/modules)"
for m in $modules; do
    if grep -q "/${m}.ko" "/lib/modules/$(uname -r)/modules.builtin" ||
       grep -q "/$(echo "$m" | tr _ -).ko" "/lib/modules/$(uname -r)/modules.builtin"; then
        res "builtin=$m"
    fi
done

trace_start
sampler_start 60
/bin/kmodx-vm-storm /tmp/storm.cmds "${KMODX_STORM_DEADLINE_S:-240}" 2>/tmp/storm.err | sed 's/^/storm_/' | while read -r l; do
    echo "KMODX-RESULT $l" >"$out"
done
sampler_stop
# Whatever is still running at the deadline, with its parent: a parent that
# is a kworker or kthreadd is the kernel's own request_module.
ps -o pid,ppid,stat,args | grep -v -e ' \[' -e 'ps -o' -e '^ *PID' -e ' /init' -e 'storm.sh' |
while read -r l; do
    pp=$(echo "$l" | awk '{print $2}')
    res "stuck=$l parent=$(cat /proc/$pp/comm 2>/dev/null)"
done
# Autoload requests the kernel queued without waiting (request_module_nowait)
# may still be running.
sleep 2
trace_report storm_
trace_dump
hung_tasks_dump
res "modules_after=$(wc -l </proc/modules)"
res "loaded=$(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
res "stderr_lines=$(wc -l </tmp/storm.err)"
head -n 5 /tmp/storm.err | while read -r l; do res "stderr=$l"; done
stats_dump
