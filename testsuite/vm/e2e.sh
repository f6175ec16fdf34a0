# SPDX-License-Identifier: LGPL-2.1-or-later
# Scenario 1, real-kernel end to end (guest side; run by /init with the
# result port as $1). The same commands run in two fresh boots, one with
# Debian's kmod as the system's tools and one with kmodx; the host compares
# every KMODX-E2E line (stdout, stderr, exit status, sysfs) between the two.
out=$1
. /vm/trace.sh
kver=$(uname -r)
md=/lib/modules/$kver
n=0
# ko PATH: the module file whatever its compression (6.1 .ko, 6.12 .ko.xz).
ko() { ls "$md/$1".ko* 2>/dev/null | head -n 1; }

# run TOOL ARGS...: one numbered step, its stdout (O), stderr (E) and status
# (S). The tool is called by its /sbin path: busybox (its shell and its
# `timeout`) would otherwise run its own modprobe applet for a bare name.
run() {
    n=$((n + 1))
    echo "KMODX-E2E $n C $*" >"$out"
    tool=/sbin/$1
    shift
    timeout 60 "$tool" "$@" >/tmp/o 2>/tmp/e
    rc=$?
    sed "s/^/KMODX-E2E $n O /" /tmp/o >"$out"
    sed "s/^/KMODX-E2E $n E /" /tmp/e >"$out"
    echo "KMODX-E2E $n S $rc" >"$out"
}
# show FILE...: kernel state as data (parameters, refcounts).
show() {
    for f in "$@"; do
        echo "KMODX-E2E $n F $f=$(cat "$f" 2>&1)" >"$out"
    done
}

echo "options dm_mod reserved_bio_based_ios=33 swap_bios=7" >/etc/modprobe.d/vm.conf
echo "blacklist serio_raw" >>/etc/modprobe.d/vm.conf

trace_start
# Dependencies, and lsmod's holders after them.
run modprobe -v xfs
run lsmod
run modprobe -v btrfs
run lsmod
show /sys/module/libcrc32c/refcnt /sys/module/xor/refcnt
# Parameters: on the command line and from modprobe.d.
run modprobe -v loop max_loop=3 max_part=2
show /sys/module/loop/parameters/max_loop /sys/module/loop/parameters/max_part
run modprobe -v dm_mod
show /sys/module/dm_mod/parameters/reserved_bio_based_ios /sys/module/dm_mod/parameters/swap_bios
run modprobe --show-depends btrfs
run modprobe -n -v kvm_intel
# --first-time on a live module fails, without it succeeds silently.
run modprobe --first-time loop
run modprobe -v loop
# Built in: nothing to load.
run modprobe -v nvme
run modprobe --first-time nvme
# -b: the blacklist applies to aliases only.
run modprobe -b -v serio:ty01pr00id00ex00
run modprobe -v serio:ty01pr00id00ex00
run lsmod
run modprobe -r -v serio_raw
run modprobe -b -v "$(cat /sys/devices/system/cpu/modalias)"
run lsmod
# Removal order: the module, then its now unused dependencies.
run modprobe -r -v btrfs
run lsmod
run modprobe -r -v xfs dm_mod loop
run lsmod
# insmod/rmmod by path and name.
run insmod "$(ko kernel/drivers/input/evdev)"
run insmod "$(ko kernel/drivers/input/evdev)"
show /sys/module/evdev/initstate
run rmmod evdev
run rmmod evdev
run insmod "$(ko kernel/drivers/input/mousedev)"
run rmmod -v mousedev
# Errors.
run modprobe -v no_such_module_kmodx
run modprobe -r no_such_module_kmodx
run insmod "$md/kernel/lib/no-such-module.ko"
# modinfo of Debian's signed modules: signer, key, hash algorithm, signature.
run modinfo xfs
run modinfo -F signer btrfs
run modinfo -F sig_hashalgo loop
run modinfo "$(ko kernel/drivers/md/dm-mod)"
run modinfo -F parm dm_mod
trace_report e2e_
run lsmod

# Userspace decompression: with the kernel's formats hidden (an empty file
# over /sys/module/compression, where the kernel has one: 6.12), kmodx
# decompresses each .ko.xz itself and calls init_module, as kmod 30 always
# does; the host checks kmodx's syscalls here (e2e_user_*).
hidden=0
if [ -e /sys/module/compression ]; then
    : >/run/no-compression
    mount -o bind /run/no-compression /sys/module/compression && hidden=1
fi
echo "KMODX-RESULT e2e_user_compression_hidden=$hidden" >"$out"
trace_start
run modprobe -v xfs
run insmod "$(ko kernel/drivers/input/evdev)"
show /sys/module/xfs/initstate /sys/module/evdev/initstate
run modprobe -r -v xfs evdev
run lsmod
trace_report e2e_user_
[ "$hidden" = 0 ] || umount /sys/module/compression
