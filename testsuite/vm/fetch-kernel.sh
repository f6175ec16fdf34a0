#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# fetch-kernel.sh SERIES: a Debian cloud kernel, ready to boot. SERIES is 6.1
# (Debian 12's default, uncompressed modules), 6.12 (bookworm's 6.12 line,
# xz-compressed modules) or 6.12-trixie (Debian 13's own cloud kernel, which
# this machine's apt does not know: testsuite/fixtures/debian13-root.sh
# resolves and downloads it with trixie's apt). Downloads the signed
# linux-image package with apt-get into the cache, unpacks it once, runs
# depmod on its module tree and prints the directory holding vmlinuz, kver
# and lib/modules/KVER.
#   KMODX_VM_CACHE       cache (default ${XDG_CACHE_HOME:-~/.cache}/kmodx-vm)
#   KMODX_VM_KERNEL_PKG  an exact package name instead of the series' newest
set -eu
[ $# -eq 1 ] || { echo "usage: fetch-kernel.sh 6.1|6.12|6.12-trixie" >&2; exit 2; }
cache=${KMODX_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kmodx-vm}
here=$(cd "$(dirname "$0")" && pwd)

case $1 in
6.1) meta=linux-image-cloud-amd64 ;;
6.12) meta=linux-image-6.12-cloud-amd64 ;;
6.12-trixie) meta=trixie ;;
*) echo "fetch-kernel.sh: unknown series '$1' (6.1, 6.12 or 6.12-trixie)" >&2; exit 2 ;;
esac
if [ "$meta" = trixie ] && [ -z "${KMODX_VM_KERNEL_PKG:-}" ]; then
    # debian13-root.sh leaves the package in debian-tree.sh's cache.
    suffix=$("$here/../fixtures/debian13-root.sh" kernel) ||
        { echo "fetch-kernel.sh: cannot resolve Debian 13's cloud kernel" >&2; exit 1; }
    pkg=linux-image-$suffix
    mkdir -p "$cache/debs"
    if ! ls "$cache/debs/${pkg}"_*.deb >/dev/null 2>&1; then
        cp "${KMODX_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kmodx-debs}/${pkg}"_*.deb "$cache/debs/" ||
            { echo "fetch-kernel.sh: $pkg was not downloaded" >&2; exit 1; }
    fi
else
    pkg=${KMODX_VM_KERNEL_PKG:-$(apt-cache depends "$meta" 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)}
fi
if [ -z "$pkg" ]; then
    # No package lists (offline): the newest already unpacked tree of the series.
    dir=$(ls -d "$cache/kernels/linux-image-$1"[.-]*/ 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && [ -f "$dir/kver" ] || { echo "fetch-kernel.sh: cannot resolve $meta" >&2; exit 1; }
    echo "${dir%/}"
    exit 0
fi

dir=$cache/kernels/$pkg
if [ ! -f "$dir/kver" ]; then
    mkdir -p "$cache/debs"
    deb=$(ls "$cache/debs/${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
    if [ -z "$deb" ]; then
        (cd "$cache/debs" && apt-get download "$pkg" >&2)
        deb=$(ls "$cache/debs/${pkg}"_*.deb | head -n 1)
    fi
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    dpkg-deb -x "$deb" "$dir.tmp/x"
    # Bookworm ships /lib/modules; after the /usr merge it is /usr/lib/modules.
    src=$dir.tmp/x/lib/modules
    [ -d "$src" ] || src=$dir.tmp/x/usr/lib/modules
    kver=$(ls "$src" | head -n 1)
    mkdir -p "$dir.tmp/lib/modules"
    mv "$src/$kver" "$dir.tmp/lib/modules/$kver"
    mv "$dir.tmp/x/boot/vmlinuz-$kver" "$dir.tmp/vmlinuz"
    mv "$dir.tmp/x/boot/config-$kver" "$dir.tmp/config"
    rm -rf "$dir.tmp/x"
    /usr/sbin/depmod -b "$dir.tmp" "$kver"
    echo "$kver" >"$dir.tmp/kver"
    basename "$deb" >"$dir.tmp/deb"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
fi
echo "$dir"
