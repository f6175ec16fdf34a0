# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers for the simkernel tests: a fresh ROOT, a tiny module builder, runners.
# Sourced by tests/*.sh; meson passes SIMKERNEL_LIB, SIMRUN, SIMKERNEL_REPORT.
set -eu

if [ ! -x /usr/bin/kmod ]; then
    echo "SKIP: /usr/bin/kmod (Debian's kmod) is not installed"
    exit 77
fi
for tool in gcc timeout; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool missing"; exit 77; }
done

here=$(cd "$(dirname "$0")" && pwd -P)
SIMRUN=${SIMRUN:-$here/../simrun}
SIMKERNEL_REPORT=${SIMKERNEL_REPORT:-$here/../simkernel-report}
SIMKERNEL_LIB=${SIMKERNEL_LIB:?SIMKERNEL_LIB must point at libsimkernel.so}
KVER=6.1.0-sim
T=$(mktemp -d "${TMPDIR:-/tmp}/simkernel-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
ROOT=$T/root
MODDIR=$ROOT/lib/modules/$KVER/kernel
mkdir -p "$MODDIR" "$ROOT/etc/modprobe.d" "$ROOT/proc/sys/kernel" "$ROOT/sys/module"
echo "$KVER" > "$ROOT/proc/sys/kernel/osrelease"
: > "$ROOT/proc/modules"
echo "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet" > "$ROOT/proc/cmdline"

fail() { echo "FAIL: $*" >&2; exit 1; }

# mkmod NAME [-d DEPS] [-p NAME:TYPE]... [-x EXPORTED_SYM] [-u USED_SYM] [-V VERMAGIC] [-s PAD_BYTES]
# Builds $MODDIR/NAME.ko: .modinfo strings, a 0x380-byte .gnu.linkonce.this_module with the
# name at offset 24, exports in __ksymtab_strings and undefined symbols depmod resolves.
mkmod() {
    name=$1; shift
    deps='' vermagic="$KVER SMP preempt mod_unload modversions " pad=16 c=$T/$name.c
    : > "$c.extra"
    while [ $# -gt 0 ]; do
        case $1 in
            -d) deps=$2 ;;
            -p) echo "MI(\"parmtype=$2\");" >> "$c.extra" ;;
            -x) printf '__attribute__((section("__ksymtab_strings"), used)) static const char ks_%s[] = "%s";\nvoid %s(void) {}\n' "$2" "$2" "$2" >> "$c.extra" ;;
            -u) printf 'extern void %s(void);\nvoid *use_%s = (void *)%s;\n' "$2" "$2" "$2" >> "$c.extra" ;;
            -V) vermagic=$2 ;;
            -s) pad=$2 ;;
        esac
        shift 2
    done
    {
        echo '#define CAT2(a, b) a##b'
        echo '#define CAT(a, b) CAT2(a, b)'
        echo '#define MI(s) __attribute__((section(".modinfo"), used, aligned(1))) static const char CAT(mi_, __LINE__)[] = s'
        echo "MI(\"license=GPL\");"
        echo "MI(\"depends=$deps\");"
        echo "MI(\"name=$name\");"
        [ -n "$vermagic" ] && echo "MI(\"vermagic=$vermagic\");"
        cat "$c.extra"
        echo "struct module_stub { char pad[24]; char name[56]; char rest[0x380 - 80]; };"
        echo "__attribute__((section(\".gnu.linkonce.this_module\"), used)) struct module_stub __this_module = { .name = \"$name\" };"
        echo "__attribute__((used)) char payload[$pad] = { 1 };"
    } > "$c"
    gcc -c -O0 -fno-pic -o "$MODDIR/$name.ko" "$c" || fail "cannot build test module $name"
}

run_depmod() {
    for f in modules.order modules.builtin modules.builtin.modinfo; do
        [ -e "$ROOT/lib/modules/$KVER/$f" ] || : > "$ROOT/lib/modules/$KVER/$f"
    done
    /usr/sbin/depmod -b "$ROOT" "$KVER" || fail "depmod"
}

# sim CMD...: CMD under the simulated kernel, clean environment, time-bounded.
sim() {
    timeout 60 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SIMKERNEL_LIB="$SIMKERNEL_LIB" \
        sh "$SIMRUN" "$ROOT" "$@"
}
report() { timeout 60 python3 "$SIMKERNEL_REPORT" "$ROOT" "$@"; }
initstate() { cat "$ROOT/sys/module/$1/initstate" 2>/dev/null || echo absent; }
config() { mkdir -p "$ROOT/.simkernel"; echo "$1" >> "$ROOT/.simkernel/config"; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected [$2], got [$1]"; }
# kcall: the raw-syscall/path helper (tests/kcall.c), built once per test.
build_kcall() {
    gcc -O1 -o "$T/kcall" "$here/kcall.c" || fail "cannot build kcall"
    KCALL=$T/kcall
}
