#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# estimate-wasted.sh RESULTS KERNELDIR kernel|user: scenario 4's check of
# kmodx's cost rules (lib/stats/costs.cpp, docs/stats.md "What a duplicate
# costs") against a kernel built with CONFIG_MODULE_STATS, for a boot whose
# duplicates kmodx did not record (stock kmod records nothing). Takes the
# kernel's own "Duplicate failed modules" table from RESULTS (the KMODX-KSTATS
# lines of a run's .txt), charges each duplicate by kmodx's rules with the
# module file's real sizes from KERNELDIR's tree, and prints the estimate
# beside the kernel's "Virtual mem wasted bytes".
#   kernel|user  who decompressed: kernel (finit_module of a .ko.xz, kmodx)
#                or user (init_module of the decompressed image, kmod 30)
# Rules: a "Becoming" duplicate costs the decompressed length (+ the
# compressed length when the kernel decompressed), a "Load" one twice the
# decompressed length (+ the compressed length). A module listed as
# "Becoming & Load" is charged the becoming rule for all its count (the
# kernel's table does not split it) and reported as such.
set -eu
[ $# -eq 3 ] || { echo "usage: estimate-wasted.sh RESULTS KERNELDIR kernel|user" >&2; exit 2; }
res=$1 kdir=$2 path=$3
kver=$(cat "$kdir/kver")
case $path in kernel | user) ;; *) echo "estimate-wasted.sh: kernel or user, not '$path'" >&2; exit 2 ;; esac

kstat() { sed -n "s/^KMODX-KSTATS *$1\t//p" "$res" | head -n 1; }
wasted=$(kstat 'Virtual mem wasted bytes')
[ -n "$wasted" ] || { echo "estimate-wasted.sh: no kernel stats in $res" >&2; exit 1; }

total=0 mixed=0 rows=0
sed -n '/^KMODX-KSTATS Duplicate failed modules:/,$p' "$res" | sed -n 's/^KMODX-KSTATS //p' |
    awk -F '\t' 'NF == 3 { for (i = 1; i <= 3; i++) gsub(/^ +| +$/, "", $i); if ($1 != "Module-name") print $1, $2, $3 }' \
    >/tmp/estimate-wasted.$$
while read -r name count reason rest; do
    file=$(/usr/sbin/modinfo -b "$kdir" -k "$kver" -n "$name" 2>/dev/null) || {
        echo "estimate-wasted.sh: no file for $name" >&2; continue; }
    fbytes=$(stat -c %s "$file")
    case $file in
    *.xz) ibytes=$(xz --robot --list "$file" | awk -F '\t' '$1 == "totals" { print $5 }') ;;
    *) ibytes=$fbytes fbytes=0 ;;
    esac
    [ "$path" = kernel ] || fbytes=0
    case "$reason $rest" in
    "Load ") each=$((2 * ibytes + fbytes)) ;;
    "Becoming ") each=$((ibytes + fbytes)) ;;
    *) each=$((ibytes + fbytes)); mixed=$((mixed + count)) ;;
    esac
    total=$((total + count * each))
    rows=$((rows + 1))
done </tmp/estimate-wasted.$$
rm -f /tmp/estimate-wasted.$$
awk -v e="$total" -v k="$wasted" -v r="$rows" -v m="$mixed" 'BEGIN {
    printf "modules=%d estimate=%d kernel=%d diff=%+.1f%% becoming_and_load_duplicates=%d\n",
        r, e, k, (k > 0 ? (e - k) * 100 / k : 0), m }'
