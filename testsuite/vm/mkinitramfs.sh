#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# mkinitramfs.sh KERNELDIR KMODX STORM OUT: the test VM's initramfs (newc cpio,
# uncompressed: unpacking is cheaper than decompressing under emulation).
# Holds busybox (without its own module tools), Debian's kmod and kmodx with
# the shared libraries each needs, the storm helper, the kernel's whole module
# tree with its depmod indexes, /init and the guest scenario scripts. With
# KMOD34_ROOT (a Debian 13 root, testsuite/fixtures/debian13-root.sh) also
# Debian 13's kmod 34.2 under /opt/kmod34 with its own C library, and for the
# storm's do-nothing limit the host's /bin/true under /opt/true.
set -eu
[ $# -eq 4 ] || { echo "usage: mkinitramfs.sh KERNELDIR KMODX STORM OUT" >&2; exit 2; }
kdir=$1 kmodx=$2 storm=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
kver=$(cat "$kdir/kver")
busybox=${BUSYBOX:-/bin/busybox}
kmod=${KMOD:-/usr/bin/kmod}

file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
    { echo "mkinitramfs.sh: $busybox is not static (apt-get install busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin "$root"/proc "$root"/sys \
    "$root"/dev "$root"/run "$root"/tmp "$root"/etc/modprobe.d "$root"/opt/kmodx "$root"/vm \
    "$root"/lib/modules
cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list); do
    case $a in
    modprobe | insmod | rmmod | lsmod | modinfo | depmod | busybox) ;;
    *) ln -s busybox "$root/bin/$a" ;;
    esac
done

# copy_with_libs BINARY DEST: the binary and every library ldd names, at the
# same paths (the dynamic loader included).
copy_with_libs() {
    cp "$1" "$root$2"
    ldd "$1" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}' | while read -r lib; do
        [ -e "$root$lib" ] && continue
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
}
copy_with_libs "$kmod" /usr/bin/kmod
copy_with_libs "$kmodx" /opt/kmodx/kmodx
# kmodx opens libkmod, liblzma, libzstd and zlib on first use (dlopen,
# invisible to ldd): each with the libraries it needs itself (libcrypto).
for soname in libkmod.so.2 liblzma.so.5 libzstd.so.1 libz.so.1; do
    lib=$(ldconfig -p | awk -v n="$soname" '$1 == n && /x86-64/ {print $NF; exit}')
    [ -n "$lib" ] || { echo "mkinitramfs: $soname not found" >&2; exit 1; }
    mkdir -p "$root$(dirname "$lib")"
    copy_with_libs "$lib" "$lib"
done
cp "$storm" "$root/bin/kmodx-vm-storm"
# A trivial program started as modprobe is (dynamically linked, by exec):
# the storm with it as the tool measures what the processes alone cost.
mkdir -p "$root/opt/true"
copy_with_libs /bin/true /opt/true/true
# Debian 13's kmod beside Debian 12's: its own loader and libraries in
# /opt/kmod34/lib, named by the binary itself (interpreter and DT_RPATH,
# which also covers what libkmod dlopens, liblzma), so the kernel can exec it
# as /sbin/modprobe without a wrapper and nothing of Debian 12 is mixed in.
if [ -n "${KMOD34_ROOT:-}" ]; then
    command -v patchelf >/dev/null || { echo "mkinitramfs: patchelf missing (apt-get install patchelf)" >&2; exit 1; }
    k34=$root/opt/kmod34 l34=$KMOD34_ROOT/usr/lib/x86_64-linux-gnu
    mkdir -p "$k34/lib"
    cp -L "$l34/ld-linux-x86-64.so.2" "$k34/lib/"
    for lib in $("$l34/ld-linux-x86-64.so.2" --library-path "$l34" --list "$KMOD34_ROOT/usr/bin/kmod" |
        awk '/=> \//{print $3}') "$l34/liblzma.so.5"; do
        cp -L "$lib" "$k34/lib/"
    done
    cp "$KMOD34_ROOT/usr/bin/kmod" "$k34/kmod"
    patchelf --set-interpreter /opt/kmod34/lib/ld-linux-x86-64.so.2 --force-rpath \
        --set-rpath /opt/kmod34/lib "$k34/kmod"
fi
# kmodx also at the path its udev rules name (scenario 3).
ln -s /opt/kmodx/kmodx "$root/usr/sbin/kmodx"

# Debian's udev (scenario 3), when installed: udevadm (systemd-udevd is the
# same program), its helpers, stock rules and hwdb, under /usr/lib/udev with
# /lib/udev pointing there. Not under /bin: busybox's links live there.
udevadm=${UDEVADM:-/bin/udevadm}
if [ -x "$udevadm" ] && [ -d /lib/udev/rules.d ]; then
    copy_with_libs "$udevadm" /usr/bin/udevadm
    mkdir -p "$root/lib/systemd" "$root/usr/lib/udev" "$root/etc/udev/rules.d"
    ln -s /usr/bin/udevadm "$root/lib/systemd/systemd-udevd"
    cp -a /lib/udev/rules.d "$root/usr/lib/udev/"
    [ -f /lib/udev/hwdb.bin ] && cp /lib/udev/hwdb.bin "$root/usr/lib/udev/"
    for h in /lib/udev/*; do
        [ -f "$h" ] && [ -x "$h" ] || continue
        copy_with_libs "$h" "/usr/lib/udev/${h##*/}"
    done
    ln -s ../usr/lib/udev "$root/lib/udev"
    [ -f /etc/udev/udev.conf ] && cp /etc/udev/udev.conf "$root/etc/udev/"
fi

cp -a "$kdir/lib/modules/$kver" "$root/lib/modules/$kver"
cp "$here/init" "$root/init"
cp "$here/trace.sh" "$here/sampler.sh" "$here/e2e.sh" "$here/storm.sh" "$here/udev.sh" \
    "$here/patching.sh" "$root/vm/"
# kmodx's udev rules where this kmodx looks for them (its build's prefix and
# datadir, /usr/local/share by default), naming the kmodx at /usr/sbin:
# scenario 3 turns them on with `kmodx udev preset`, as the package's postinst does.
build_dir=$(cd "$(dirname "$kmodx")/.." && pwd)
datadir=$(python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(open(sys.argv[1] + "/meson-info/intro-buildoptions.json"))}
d = o["datadir"]
print(d if d.startswith("/") else o["prefix"] + "/" + d)' "$build_dir") ||
    { echo "mkinitramfs.sh: no meson build around $kmodx" >&2; exit 1; }
mkdir -p "$root$datadir/kmodx/udev"
sed 's,@SBINDIR@,/usr/sbin,g' "$here/../../data/udev/80-drivers.rules.in" >"$root$datadir/kmodx/udev/80-drivers.rules"
chmod 0755 "$root/init" "$root"/vm/*.sh
mknod -m 0600 "$root/dev/console" c 5 1
mknod -m 0666 "$root/dev/null" c 1 3

(cd "$root" && find . | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
