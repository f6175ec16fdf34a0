#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make-chroot.sh CHROOT: the Debian 13 chroot chroot.sh builds and tests kmodx
# in, made when missing or stale, then its path printed. It is
# testsuite/fixtures/debian13-root.sh's trixie root (debootstrap minbase +
# kmod) copied, plus the packages below installed by the root's own apt (its
# sources.list is the one debootstrap wrote, so no mirror is named here).
# The chroot is current when its stamp holds the hash of the package list,
# this script and debian13-root.sh; otherwise it is made again from nothing
# in CHROOT.new and renamed into place, so an interrupted run never leaves a
# half-made chroot behind as a current one. Exits 77 (one line on stderr)
# when it must be made and the archive cannot be reached. The caller holds
# the chroot's lock (chroot.sh).
set -eu

die() { echo "make-chroot.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: make-chroot.sh CHROOT"
chroot=$1
here=$(cd "$(dirname "$0")" && pwd -P)
root_sh=$here/../fixtures/debian13-root.sh

# What ./dev installs on Debian 12 for the build and the e2e tests, as trixie
# names it (g++ is g++-14 there). procps: lib.sh's pgrep. dpkg-dev,
# debhelper, fakeroot, debootstrap, build-essential, lintian: the package
# suite (dpkg-buildpackage checks build-essential besides the Build-Depends,
# and deb_install_remove.sh's own tools).
packages="meson ninja-build g++ pkg-config libkmod-dev libcmocka-dev zlib1g-dev liblzma-dev
libzstd-dev libssl-dev kmod xz-utils zstd gzip openssl python3 scdoc procps strace
dpkg-dev debhelper fakeroot debootstrap build-essential lintian"

stamp=$( { echo "$packages"; cat "$here/make-chroot.sh" "$root_sh"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$chroot/.kmodx-chroot" 2>/dev/null)" = "$stamp" ]; then
    echo "$chroot"
    exit 0
fi

t0=$(date +%s)
# The root first (it may exit 77), then the archive for the apt-get below.
base=$("$root_sh") || exit $?
"$here/../fixtures/apt-mirror.sh" check >/dev/null || exit $?
new=$chroot.new
rm -rf "$new" "$chroot.old"
mkdir -p "$(dirname "$chroot")"
echo "make-chroot.sh: making $chroot (copy of $base, then apt-get install)" >&2
cp -a "$base" "$new"
rm -f "$new/.kmodx-complete"
log=$chroot.apt.log
# shellcheck disable=SC2086 # the package list is words
"$here/in-chroot.sh" "$new" 'apt-get -q update && apt-get install -y -q --no-install-recommends "$@" && apt-get clean' \
    $packages >"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    die "apt-get in the new chroot failed (whole log: $log)"
}
echo "$stamp" >"$new/.kmodx-chroot"
if [ -e "$chroot" ]; then mv "$chroot" "$chroot.old"; fi
mv "$new" "$chroot"
rm -rf "$chroot.old"
echo "make-chroot.sh: chroot ready in $(($(date +%s) - t0)) s" >&2
echo "$chroot"
