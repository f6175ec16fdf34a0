#!/usr/bin/env bash
# deb_install_remove.sh SRCDIR WORKDIR: the Debian package, from the tree to
# a Debian 12 system and back (docs/packaging.md).
#  1. `dpkg-buildpackage -us -uc -b` on a copy of the tree (the working tree
#     itself is never written) builds kmodx_*.deb;
#  2. in a fresh debootstrap chroot (minbase + kmod + bash-completion),
#     installing it diverts exactly the expected 21 paths, every command name
#     kmod had (/sbin, /usr/sbin, /bin/lsmod, /usr/bin/lsmod) runs kmodx,
#     depmod and the stock tools under /usr/lib/kmodx/kmod stay kmod's, the
#     manual pages and bash completions are kmodx's, units are installed and
#     not enabled; reinstalling (an upgrade) and reinstalling kmod itself
#     (its files land on the diverted names) change none of that;
#  3. `dpkg -r` gives everything back: no diversion left, every name runs
#     kmod again, `dpkg --verify kmod bash-completion` is clean;
#  4. `dpkg -P` after a reinstall does the same and removes kmodx's state.
# WORKDIR keeps the debootstrap tarball (`--make-tarball`, the only network
# use) and the unpacked base system between runs. Needs root, debootstrap,
# dpkg-dev, debhelper, fakeroot and the package's Build-Depends.
set -euo pipefail
src=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
MIRROR=${KMODX_DEB_MIRROR:-http://deb.debian.org/debian}
INCLUDE=kmod,bash-completion

die() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (chroot, dpkg)" >&2; exit 77; }
for t in debootstrap dpkg-buildpackage dh fakeroot chroot; do
    command -v "$t" >/dev/null ||
        die "$t missing (apt-get install debootstrap dpkg-dev debhelper fakeroot)"
done

t0=$(date +%s)
phase() { echo "[$(( $(date +%s) - t0 ))s] $*"; }

# 1. The package, from a copy of the tree: what git tracks plus new files it
# does not ignore (build directories are ignored). KMODX_DEB=FILE tests that
# package instead (steps 2-4 alone, while working on them).
if [ -n "${KMODX_DEB:-}" ]; then
    deb=$(realpath "$KMODX_DEB")
else
    phase "copying the tree"
    rm -rf "$work/src" "$work"/kmodx*_*
    mkdir -p "$work/src"
    if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$src" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -)
    else
        (cd "$src" && tar --exclude='./build*' -cf - .)
    fi | tar -C "$work/src" -xf -
    phase "dpkg-buildpackage -us -uc -b (nocheck: ./dev test runs the unit suite)"
    if ! (cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
            dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1); then
        tail -n 40 "$work/build.log" >&2
        die "dpkg-buildpackage failed (whole log: $work/build.log)"
    fi
    deb=$(ls "$work"/kmodx_*_*.deb)
    [ -f "$deb" ] || die "no kmodx .deb in $work"
    rm -rf "$work/src"  # a copy of the tree and its build: only the .deb is needed
fi
dpkg-deb -f "$deb" Depends | grep -qE '(^|, )kmod( |,|$)' || die "the package does not depend on kmod"

# 2. A Debian 12 base system: downloaded once, unpacked once, copied per run.
tarball=$work/bookworm-minbase-${INCLUDE//,/-}.tgz
base=$work/base-${INCLUDE//,/-}.tar
if [ ! -f "$tarball" ]; then
    phase "debootstrap --make-tarball (downloads from $MIRROR)"
    rm -rf "$work/mk"
    debootstrap --variant=minbase --include="$INCLUDE" --make-tarball="$tarball.new" \
        bookworm "$work/mk" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap --make-tarball failed"; }
    mv "$tarball.new" "$tarball"
    rm -rf "$work/mk"
fi
if [ ! -f "$base" ]; then
    phase "debootstrap --unpack-tarball"
    rm -rf "$work/mk"
    debootstrap --variant=minbase --include="$INCLUDE" --unpack-tarball="$tarball" \
        bookworm "$work/mk" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap --unpack-tarball failed"; }
    tar -C "$work/mk" -cf "$base.new" .
    mv "$base.new" "$base"
    rm -rf "$work/mk"
fi
phase "fresh chroot"
C=$work/chroot
rm -rf "$C"
mkdir -p "$C"
tar -C "$C" -xf "$base"
trap 'rm -rf "$C"' EXIT
cp "$deb" "$C/tmp/kmodx.deb"

in_chroot() { chroot "$C" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
version_of() { in_chroot "$1" -V 2>&1 | head -n 1 || true; }
# is_kmod PATH: PATH runs Debian's kmod 30. Its lsmod takes no options and
# answers -V with its usage line.
is_kmod() {
    case "$1" in
        */lsmod) [ "$(version_of "$1")" = "Usage: $1" ] && [ "$(in_chroot readlink -f "$1")" = /usr/bin/kmod ] ;;
        *) [ "$(version_of "$1")" = "kmod version 30" ] ;;
    esac
}

# What the package must divert, written out here rather than read from its
# maintainer scripts: "PATH to DIVERTED".
expected_diversions() {
    for c in modprobe insmod rmmod lsmod modinfo; do
        echo "/sbin/$c to /sbin/$c.kmod"
        echo "/usr/sbin/$c to /usr/sbin/$c.kmod"
        echo "/usr/share/man/man8/$c.8.gz to /usr/share/man/man8/$c.kmod.8.gz"
    done
    echo "/bin/lsmod to /bin/lsmod.kmod"
    echo "/usr/bin/lsmod to /usr/bin/lsmod.kmod"
    for c in modprobe insmod rmmod modinfo; do
        echo "/usr/share/bash-completion/completions/$c to /usr/share/bash-completion/completions/$c.bash-completion"
    done
}
kmodx_diversions() {
    in_chroot dpkg-divert --list | sed -n 's/^diversion of \(.*\) by kmodx$/\1/p' | sort
}
COMMAND_PATHS="/sbin/modprobe /sbin/insmod /sbin/rmmod /sbin/lsmod /sbin/modinfo
               /usr/sbin/modprobe /usr/sbin/insmod /usr/sbin/rmmod /usr/sbin/lsmod /usr/sbin/modinfo
               /bin/lsmod /usr/bin/lsmod"

check_installed() {
    local when=$1 p v
    if ! diff -u <(expected_diversions | sort) <(kmodx_diversions) >"$work/diversions.diff"; then
        cat "$work/diversions.diff" >&2
        die "$when: kmodx's diversions differ from the expected ones (- expected, + found)"
    fi
    for p in $COMMAND_PATHS; do
        v=$(version_of "$p")
        [[ $v == "kmodx version "* ]] || die "$when: $p -V says '$v', not kmodx"
    done
    v=$(in_chroot modprobe -V | head -n 1)
    [[ $v == "kmodx version "* ]] || die "$when: modprobe on PATH says '$v', not kmodx"
    for c in modprobe insmod rmmod lsmod modinfo; do
        is_kmod "/usr/lib/kmodx/kmod/$c" || die "$when: /usr/lib/kmodx/kmod/$c -V says '$(version_of "/usr/lib/kmodx/kmod/$c")'"
        [ "$(readlink "$C/usr/sbin/$c.kmod")" = /bin/kmod ] || die "$when: kmod's $c not kept as /usr/sbin/$c.kmod"
        zcat "$C/usr/share/man/man8/$c.8.gz" | grep -q kmodx || die "$when: man8/$c.8.gz is not kmodx's"
        zcat "$C/usr/share/man/man8/$c.kmod.8.gz" | grep -q kmodx && die "$when: man8/$c.kmod.8.gz is not kmod's"
    done
    is_kmod /sbin/depmod || die "$when: depmod is not kmod's"
    for c in modprobe insmod rmmod modinfo; do
        grep -q kmodx "$C/usr/share/bash-completion/completions/$c" || die "$when: bash completion for $c is not kmodx's"
        [ -f "$C/usr/share/bash-completion/completions/$c.bash-completion" ] || die "$when: bash-completion's $c not kept"
    done
    for f in /lib/systemd/system/kmodx-stats-archive.service /lib/systemd/system/kmodx-stats-prometheus.service \
             /lib/systemd/system/kmodx-stats-prometheus.timer /usr/lib/tmpfiles.d/kmodx.conf \
             /usr/share/kmodx/udev/80-drivers.rules /usr/share/man/man8/kmodx.8.gz /usr/share/man/man5/kmodx.conf.5.gz \
             /usr/share/zsh/site-functions/_kmodx /usr/share/fish/vendor_completions.d/modprobe.fish; do
        [ -f "$C$f" ] || die "$when: $f not installed"
    done
    # Nothing enabled: no unit wanted anywhere, the udev override not linked in.
    if find "$C/etc/systemd" "$C/etc/udev" -name 'kmodx*' -o -name '80-drivers.rules' 2>/dev/null | grep -q .; then
        die "$when: something enabled: $(find "$C/etc/systemd" "$C/etc/udev" -name 'kmodx*' -o -name '80-drivers.rules')"
    fi
}

check_removed() {
    local when=$1 p v
    [ -z "$(kmodx_diversions)" ] || die "$when: diversions left: $(kmodx_diversions)"
    for p in $COMMAND_PATHS /sbin/depmod; do
        is_kmod "$p" || die "$when: $p -V says '$(version_of "$p")', not kmod"
    done
    [ "$(in_chroot modprobe -V | head -n 1)" = "kmod version 30" ] || die "$when: modprobe on PATH is not kmod"
    # Every file of kmod and bash-completion back as shipped, none left over.
    in_chroot dpkg --verify kmod bash-completion >"$work/verify.out" 2>&1 ||
        die "$when: dpkg --verify: $(cat "$work/verify.out")"
    [ ! -s "$work/verify.out" ] || die "$when: dpkg --verify: $(cat "$work/verify.out")"
    leftovers=$(cd "$C" && find usr/sbin usr/bin usr/share/man/man8 usr/share/bash-completion -name '*.kmod*' -o -name '*.bash-completion' -o -name 'kmodx*')
    [ -z "$leftovers" ] || die "$when: left behind: $leftovers"
    [ ! -e "$C/usr/lib/kmodx" ] || die "$when: /usr/lib/kmodx left behind"
}

phase "dpkg -i (kmod $(in_chroot dpkg-query -W -f='${Version}' kmod) installed)"
in_chroot dpkg -i /tmp/kmodx.deb >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; die "dpkg -i failed"; }
check_installed "installed"
phase "dpkg -i again (an upgrade), then kmod reinstalled"
in_chroot dpkg -i /tmp/kmodx.deb >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; die "second dpkg -i failed"; }
check_installed "reinstalled"
# kmod's own files must land on the diverted names, leaving kmodx's alone.
tar -xzf "$tarball" -C "$C/tmp" --wildcards --no-anchored 'kmod_*.deb'
kmod_deb=$(cd "$C/tmp" && ls var/cache/apt/archives/kmod_*.deb)
in_chroot dpkg -i "/tmp/$kmod_deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; die "reinstalling kmod failed"; }
check_installed "kmod reinstalled"

phase "dpkg -r"
in_chroot dpkg -r kmodx >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; die "dpkg -r failed"; }
check_removed "removed"

phase "dpkg -i, dpkg -P"
in_chroot dpkg -i /tmp/kmodx.deb >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; die "dpkg -i after remove failed"; }
check_installed "installed after a remove"
mkdir -p "$C/var/lib/kmodx/boots" "$C/run/kmodx/stats" "$C/var/lib/prometheus/node-exporter"
echo x >"$C/var/lib/kmodx/boots/b.events"
echo x >"$C/var/lib/prometheus/node-exporter/kmodx.prom"
echo x >"$C/var/lib/prometheus/node-exporter/other.prom"
in_chroot dpkg -P kmodx >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; die "dpkg -P failed"; }
check_removed "purged"
[ ! -e "$C/var/lib/kmodx" ] && [ ! -e "$C/run/kmodx" ] || die "purge left /var/lib/kmodx or /run/kmodx"
[ ! -e "$C/var/lib/prometheus/node-exporter/kmodx.prom" ] || die "purge left kmodx.prom"
[ -f "$C/var/lib/prometheus/node-exporter/other.prom" ] || die "purge removed another collector file"
in_chroot dpkg-query -W -f='${Status}' kmodx 2>/dev/null | grep -q 'not-installed' ||
    [ -z "$(in_chroot dpkg-query -W -f='${Status}' kmodx 2>/dev/null)" ] || die "kmodx still known to dpkg after purge"
phase "done: $(basename "$deb") installs, diverts 21 paths, removes and purges cleanly"
