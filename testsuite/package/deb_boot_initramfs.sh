#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# deb_boot_initramfs.sh SRCDIR WORKDIR: a Debian system with the kmodx
# package boots its real kernel from the initramfs that Debian's own
# update-initramfs made, and kmodx does the initramfs's module loading
# (docs/packaging.md, "Booting from a kmodx initramfs").
#  1. The package and the base system: the ones deb_install_remove.sh left in
#     WORKDIR (it is run first when they are missing; KMODX_DEB=FILE names
#     another package). Debian 12's here; testsuite/debian13/chroot.sh package
#     points WORKDIR at the Debian 13 package and base it made in its chroot.
#  2. A fresh chroot gets the release's cloud kernel (testsuite/vm/fetch-kernel.sh
#     KMODX_BOOT_SERIES: 6.1 by default, 6.12-trixie for Debian 13),
#     a module with a parameter in /etc/initramfs-tools/modules (loaded by
#     the initramfs's init with modprobe), and an init-premount script that
#     reports what happened on a second serial port and powers off.
#  3. Boot with kmod's initramfs (before kmodx is installed: modprobe is the
#     base system's own kmod), install kmodx with nothing but its defaults
#     (its postinst turns the udev override on, its trigger regenerates the
#     initramfs), boot again. Both boots must load the same modules with the
#     same parameters; in the second, /sbin/modprobe is kmodx, udev's rules
#     run it, its stats store names udev and the initramfs's init among the
#     requesters, every loaded module came through kmodx once, udev's loads
#     name their device (DEVPATH, SEQNUM), and its lock files are in
#     /run/kmodx (dedup on).
# Needs root, qemu (installed with apt-get when missing) and Debian's archive
# (the kernel package, cached in KMODX_VM_CACHE as for testsuite/vm/).
set -euo pipefail
src=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (chroot, dpkg)"
if ! command -v qemu-system-x86_64 >/dev/null; then
    [ "${KMODX_VM_NO_INSTALL:-0}" != 1 ] || skip "qemu-system-x86 not installed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-x86 >&2 ||
        skip "cannot install qemu-system-x86"
fi

t0=$(date +%s)
phase() { echo "[$(( $(date +%s) - t0 ))s] $*"; }

# 1. Package and base system.
deb=${KMODX_DEB:-$(ls "$work"/kmodx_*_amd64.deb 2>/dev/null | head -n 1 || true)}
base=$(ls "$work"/base-*initramfs-tools*.tar 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ] || [ -z "$base" ]; then
    phase "no package or base system in $work: deb_install_remove.sh first"
    bash "$here/deb_install_remove.sh" "$src" "$work" >"$work/install_remove.log" 2>&1 ||
        { tail -n 20 "$work/install_remove.log" >&2; die "deb_install_remove.sh failed"; }
    deb=${KMODX_DEB:-$(ls "$work"/kmodx_*_amd64.deb | head -n 1)}
    base=$(ls "$work"/base-*initramfs-tools*.tar | head -n 1)
fi
deb=$(realpath "$deb")
series=${KMODX_BOOT_SERIES:-6.1}
"$src/testsuite/vm/fetch-kernel.sh" "$series" >"$work/kdir" || die "no $series kernel (fetch-kernel.sh)"
phase "package $(basename "$deb"), base $(basename "$base"), kernel $(cat "$work/kdir")"
kdir=$(cat "$work/kdir")
kver=$(cat "$kdir/kver")

# 2. The system.
C=$work/boot-chroot
rm -rf "$C"
mkdir -p "$C"
trap 'rm -rf "$C"' EXIT
tar -C "$C" -xf "$base"
in_chroot() { chroot "$C" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
# What the first boot's modprobe must say: the base system's kmod.
kmod_version=$(in_chroot kmod -V | head -n 1)
mkdir -p "$C/lib/modules"
cp -a "$kdir/lib/modules/$kver" "$C/lib/modules/"
cp "$kdir/vmlinuz" "$C/boot/vmlinuz-$kver"
cp "$kdir/config" "$C/boot/config-$kver"
# loop is a module in Debian's kernels and nothing else asks for it: its
# parameter shows that the initramfs's own modprobe call (load_modules) ran.
echo "loop max_loop=3" >>"$C/etc/initramfs-tools/modules"
cat >"$C/etc/initramfs-tools/scripts/init-premount/zz-kmodx-report" <<'EOF'
#!/bin/sh
# Test only: what loaded the modules, on ttyS1, then power off before the
# (absent) root file system is looked for.
[ "$1" = prereqs ] && exit 0
out=/dev/ttyS1
{
    echo "KMODX-BOOT begin"
    echo "KMODX-BOOT kernel_modprobe=$(cat /proc/sys/kernel/modprobe)"
    # No busybox in a minbase system's initramfs: klibc's sh and cat only.
    v=$(/sbin/modprobe -V 2>&1)
    nl='
'
    echo "KMODX-BOOT modprobe_version=${v%%$nl*}"
    while read -r name size refs deps state rest; do
        echo "KMODX-BOOT module=$name"
    done </proc/modules
    echo "KMODX-BOOT loop_max_loop=$(cat /sys/module/loop/parameters/max_loop 2>/dev/null)"
    case $v in
    kmodx*)
        /sbin/modprobe --stats=json >/tmp/stats.json 2>/tmp/stats.err
        echo "KMODX-BOOT stats_exit=$?"
        while read -r l; do echo "KMODX-BOOT stats_err=$l"; done </tmp/stats.err
        echo "KMODX-BOOT stats_json_begin"
        cat /tmp/stats.json
        echo
        echo "KMODX-BOOT stats_json_end"
        # Lock files: dedup was on (a name per module that took a lock).
        for f in /run/kmodx/locks/*; do echo "KMODX-BOOT rundir=${f##*/}"; done
        # The store's records of loads: module, requester, parent's comm.
        tab='	'
        cat /run/kmodx/stats/*.events 2>/dev/null |
            while IFS=$tab read -r tag time boot module tool pid requester ppid comm outcome rest; do
                [ "$tag" = k1 ] && [ "$outcome" = loaded ] && echo "KMODX-BOOT loaded=$module $requester $comm"
            done
        ;;
    esac
    echo "KMODX-BOOT end"
} >"$out" 2>&1
echo 1 >/proc/sys/kernel/sysrq
echo o >/proc/sysrq-trigger
sleep 30
EOF
chmod +x "$C/etc/initramfs-tools/scripts/init-premount/zz-kmodx-report"
phase "update-initramfs -c -k $kver (kmod)"
in_chroot update-initramfs -c -k "$kver" >"$work/boot-initramfs.log" 2>&1 ||
    { tail -n 20 "$work/boot-initramfs.log" >&2; die "update-initramfs -c failed"; }

# boot NAME: the chroot's kernel and initramfs, one CPU; the report in NAME.txt.
boot() {
    rm -f "$work/$1.console" "$work/$1.results"
    # Devices whose drivers are modules: udev's coldplug asks for them.
    timeout -k 10 "${KMODX_BOOT_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1024 \
        -nodefaults -display none -no-reboot \
        -kernel "$C/boot/vmlinuz-$kver" -initrd "$C/boot/initrd.img-$kver" \
        -serial "file:$work/$1.console" -serial "file:$work/$1.results" \
        -netdev user,id=n0 -device virtio-net-pci,netdev=n0 -device virtio-rng-pci \
        -device virtio-scsi-pci -device virtio-balloon-pci \
        -append "console=ttyS0 panic=-1 root=/dev/kmodx-no-root rootdelay=0" >/dev/null 2>&1 ||
        echo "qemu exited $? (124: timed out)" >&2
    tr -d '\r' <"$work/$1.results" >"$work/$1.txt"
    grep -q '^KMODX-BOOT end' "$work/$1.txt" ||
        { tail -n 30 "$work/$1.console" >&2; die "$1: no report from the initramfs"; }
}
get() { sed -n "s/^KMODX-BOOT $2=//p" "$work/$1.txt"; }

phase "boot with kmod's initramfs"
boot kmod-initramfs
[ "$(get kmod-initramfs modprobe_version)" = "$kmod_version" ] ||
    die "kmod boot: modprobe says '$(get kmod-initramfs modprobe_version)'"

# 3. kmodx: the package as installed, with its defaults: its postinst turns
# the udev override on, its trigger regenerates the initramfs with it.
phase "dpkg -i kmodx"
cp "$deb" "$C/tmp/kmodx.deb"
in_chroot dpkg -i /tmp/kmodx.deb >"$work/boot-dpkg.log" 2>&1 || { cat "$work/boot-dpkg.log" >&2; die "dpkg -i failed"; }
grep -q "update-initramfs" "$work/boot-dpkg.log" || die "installing kmodx did not regenerate the initramfs"
udev_state=$(in_chroot kmodx udev status) || die "kmodx udev status failed"
[ "${udev_state%%:*}" = on ] || die "the package did not turn the udev override on: $udev_state"
rm -rf "$C/tmp/initrd"
in_chroot unmkinitramfs "/boot/initrd.img-$kver" /tmp/initrd
rules=$(find "$C/tmp/initrd" -path '*/rules.d/80-drivers.rules' | head -n 1)
[ -n "$rules" ] && grep -q kmodx "$rules" || die "the initramfs lacks kmodx's 80-drivers.rules"

phase "boot with kmodx's initramfs"
boot kmodx-initramfs
r=kmodx-initramfs
[[ $(get $r modprobe_version) == "kmodx version "* ]] || die "kmodx boot: modprobe says '$(get $r modprobe_version)'"
[ "$(get $r kernel_modprobe)" = /sbin/modprobe ] || die "kmodx boot: the kernel calls '$(get $r kernel_modprobe)'"
a=$(get kmod-initramfs module | sort) b=$(get $r module | sort)
[ -n "$a" ] || die "kmod boot: no module loaded"
[ "$a" = "$b" ] || die "modules loaded differ (- kmod, + kmodx): $(diff <(echo "$a") <(echo "$b") | grep '^[<>]' | tr '\n' ' ')"
for r2 in kmod-initramfs kmodx-initramfs; do
    [ "$(get $r2 loop_max_loop)" = 3 ] || die "$r2: loop's max_loop is '$(get $r2 loop_max_loop)', not 3"
done
[ "$(get $r stats_exit)" = 0 ] || die "kmodx boot: modprobe --stats exited $(get $r stats_exit): $(get $r stats_err)"
sed -n '/^KMODX-BOOT stats_json_begin$/,/^KMODX-BOOT stats_json_end$/p' "$work/$r.txt" | sed '1d;$d' >"$work/boot-stats.json"
python3 - "$work/boot-stats.json" >"$work/boot-requesters.txt" <<'EOF' || die "kmodx boot: bad --stats=json: $(cat "$work/boot-requesters.txt")"
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["requesters"]:
    print(r["requester"], r["requests"], r["loaded"])
EOF
# udev's loads name their device: "MODULE DEVPATH SEQNUM" per load.
python3 - "$work/boot-stats.json" >"$work/boot-devices.txt" <<'EOF' || die "kmodx boot: bad device_requests: $(cat "$work/boot-devices.txt")"
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["device_requests"]:
    if r["outcome"] == "loaded":
        print(r["module"], r["device"], r["seqnum"])
EOF
grep -q '^udev [1-9]' "$work/boot-requesters.txt" ||
    die "kmodx boot: no request from udev in --stats: $(cat "$work/boot-requesters.txt")"
# Every module the kernel holds was loaded by kmodx in this boot: by udev's
# rules, the kernel's own requests or the initramfs's init (loop).
for m in $b; do
    n=$(get $r loaded | grep -c "^$m " || true)
    [ "$n" = 1 ] || die "kmodx boot: $m is loaded but kmodx recorded $n loads of it ($(get $r loaded | tr '\n' ';'))"
done
# virtio_net is a module on both kernels, and only udev asks for it: its
# load names the network device's PCI function and udev's event number.
grep -qE '^virtio_net /devices/pci[0-9:.]+/[0-9a-f:.]+/virtio[0-9]+ [1-9][0-9]*$' "$work/boot-devices.txt" ||
    die "kmodx boot: virtio_net's load names no device: $(tr '\n' ';' <"$work/boot-devices.txt")"
[ "$(get $r loaded | grep '^virtio_net ' | cut -d' ' -f2)" = udev ] || die "kmodx boot: virtio_net was not loaded by udev"

# /init mounted /run, so kmodx made its runtime directory: dedup was on.
# (virtio_pci is a module on 6.1, built in on 6.12.)
for m in virtio_net virtio_pci loop; do
    echo "$b" | grep -qx "$m" || continue
    get $r rundir | grep -qx "$m" || die "kmodx boot: no lock file for $m in /run/kmodx/locks ($(get $r rundir | tr '\n' ' '))"
done
# The initramfs's /init is pid 1 but not systemd, and the console it writes
# to is no session's controlling terminal: other (user where a shell owns it).
get $r loaded | grep -qE '^loop (user|other) init$' ||
    die "kmodx boot: loop was not loaded by the initramfs's init, or counted as another requester ($(get $r loaded | grep '^loop'))"
phase "done: $kver boots from kmodx's initramfs; $(echo "$b" | wc -w) modules, as with kmod"
