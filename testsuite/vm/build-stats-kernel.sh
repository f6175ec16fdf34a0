#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# build-stats-kernel.sh: scenario 4's kernel (docs/vm.md): Debian's 6.12
# source (package linux-source-6.12) built with CONFIG_MODULE_STATS=y, so
# /sys/kernel/debug/modules/stats shows the kernel's own count of duplicate
# loads and of the vmalloc they wasted. Starts from the config of Debian's
# 6.12 cloud kernel (fetch-kernel.sh 6.12) and keeps the build small with
# `make localmodconfig`: only the storm's modules (and what they need) stay
# modules. Built once; prints the directory holding vmlinuz, kver, config and
# lib/modules/KVER (the layout fetch-kernel.sh gives), like fetch-kernel.sh.
#   -n   only print the directory if the kernel is built, never build (exit 1)
#   KMODX_VM_CACHE  cache (default ${XDG_CACHE_HOME:-~/.cache}/kmodx-vm)
#   KMODX_VM_JOBS   make -j (default 2), always under nice -n 19
# Needs (apt-get): linux-source-6.12 bison flex libelf-dev bc libssl-dev.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${KMODX_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kmodx-vm}
top=$cache/stats-kernel
out=$top/kernel
say() { echo "build-stats-kernel: $*" >&2; }

if [ -f "$out/kver" ]; then
    echo "$out"
    exit 0
fi
[ "${1:-}" = -n ] && { say "not built yet ($out)"; exit 1; }

tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n 1 || true)
[ -n "$tarball" ] || { say "no /usr/src/linux-source-6.12.tar.* (apt-get install linux-source-6.12)"; exit 1; }
cloud=$("$here/fetch-kernel.sh" 6.12)
mkdir -p "$top"
# One build at a time (run.sh may start one while another is running); the
# second waits and then finds the kernel built.
exec 9>"$top/lock"
flock 9
if [ -f "$out/kver" ]; then
    echo "$out"
    exit 0
fi
src=$top/src
if [ ! -f "$src/Makefile" ]; then
    say "unpacking $tarball"
    rm -rf "$src" "$top/src.tmp"
    mkdir -p "$top/src.tmp"
    tar -C "$top/src.tmp" -xf "$tarball"
    mv "$top/src.tmp/linux-source-6.12" "$src"
    rmdir "$top/src.tmp"
fi

# The storm's modules (storm.sh) plus what the CPU modalias and the modules'
# own request_module() calls formed on the cloud kernel: localmodconfig keeps
# these (and their Kconfig dependencies) as modules and drops every other =m.
cat >"$top/lsmod" <<'EOF'
Module                  Size  Used by
irqbypass 1 0
kvm 1 0
kvm_intel 1 0
kvm_amd 1 0
crct10dif_pclmul 1 0
ghash_clmulni_intel 1 0
sha512_ssse3 1 0
sha512_generic 1 0
sha256_ssse3 1 0
sha1_ssse3 1 0
cryptd 1 0
crypto_simd 1 0
aesni_intel 1 0
gf128mul 1 0
blake2b_generic 1 0
evdev 1 0
serio_raw 1 0
crc64 1 0
crc64_rocksoft 1 0
t10_pi 1 0
crc32_pclmul 1 0
crc32c_intel 1 0
libcrc32c 1 0
xor 1 0
raid6_pq 1 0
xfs 1 0
btrfs 1 0
dm_mod 1 0
loop 1 0
powernow_k8 1 0
acpi_cpufreq 1 0
EOF

cd "$src"
if [ ! -f .config ] || [ ! -f "$top/configured" ]; then
    cp "$cloud/config" .config
    # Debian's signing and trusted keys are not in the source package: sign
    # with a key the build generates (modules stay signed, as Debian's are).
    ./scripts/config --set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
        --set-str MODULE_SIG_KEY "certs/signing_key.pem" --enable MODULE_SIG_ALL \
        --set-str LOCALVERSION "-kmodx-stats" --disable LOCALVERSION_AUTO \
        --enable MODULES --enable DEBUG_FS --enable MODULE_DEBUG --enable MODULE_STATS \
        --disable MODULE_DEBUG_AUTOLOAD_DUPS \
        --enable MODULE_COMPRESS_XZ --enable MODULE_DECOMPRESS \
        --disable DEBUG_INFO_DWARF5 --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
        --disable DEBUG_INFO_DWARF4 --enable DEBUG_INFO_NONE --disable DEBUG_INFO_BTF
    # What the storm never touches and would cost most of the build time on
    # this machine's two shared cores: networking, Xen, LSMs, audit, ext4.
    # Only storm and e2e run on this kernel (udev needs NET for its netlink).
    ./scripts/config --disable NET --disable XEN --disable SECURITY_SELINUX \
        --disable SECURITY_APPARMOR --disable SECURITY_TOMOYO --disable SECURITY_LANDLOCK \
        --disable SECURITY_SMACK --disable AUDIT --disable IMA --disable EVM \
        --disable EXT4_FS --disable FUSE_FS --disable HIBERNATION --disable KEXEC \
        --disable KEXEC_FILE --disable CRASH_DUMP --disable BPF_SYSCALL
    nice -n 19 make LSMOD="$top/lsmod" localmodconfig </dev/null >"$top/config.log" 2>&1
    # localmodconfig runs olddefconfig; check that nothing we need fell out.
    for o in MODULE_STATS MODULE_DECOMPRESS MODULE_COMPRESS_XZ DEBUG_FS FTRACE_SYSCALLS; do
        grep -q "^CONFIG_$o=y" .config || { say "CONFIG_$o is not =y after localmodconfig"; exit 1; }
    done
    touch "$top/configured"
fi

say "building in $src (log: $top/build.log)"
nice -n 19 make -j"${KMODX_VM_JOBS:-2}" bzImage modules >"$top/build.log" 2>&1 ||
    { tail -n 30 "$top/build.log" >&2; exit 1; }
kver=$(make -s kernelrelease)
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
nice -n 19 make INSTALL_MOD_PATH="$out.tmp" modules_install >>"$top/build.log" 2>&1
# Debian's layout: lib/modules/KVER (no build/source links into the tree).
rm -f "$out.tmp/lib/modules/$kver/build" "$out.tmp/lib/modules/$kver/source"
/usr/sbin/depmod -b "$out.tmp" "$kver"
cp arch/x86/boot/bzImage "$out.tmp/vmlinuz"
cp .config "$out.tmp/config"
echo "$kver" >"$out.tmp/kver"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
