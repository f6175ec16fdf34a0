#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# man_page.sh PAGE: the page renders without a single groff/man warning,
# lexgrog finds its NAME line (what mandb and apropos index) naming the page,
# and it has the sections every kmodx page promises.
set -euo pipefail
page=$1
base=$(basename "$page")
name=${base%.*}
section=${base##*.}

warnings=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null) || {
    echo "man failed on $page: $warnings" >&2
    exit 1
}
if [ -n "$warnings" ]; then
    echo "$page: warnings while rendering:" >&2
    echo "$warnings" >&2
    exit 1
fi

whatis=$(lexgrog "$page") || { echo "$page: lexgrog found no NAME section" >&2; exit 1; }
case $whatis in
    "$page: \"$name - "?*) ;;
    *) echo "$page: NAME line does not name '$name': $whatis" >&2; exit 1 ;;
esac

text=$(MANWIDTH=80 LC_ALL=C man -l "$page" 2>/dev/null | col -bx)
required=(NAME SYNOPSIS DESCRIPTION ENVIRONMENT FILES "SEE ALSO")
[ "$section" = 8 ] && required+=(OPTIONS "EXIT STATUS")
for s in "${required[@]}"; do
    grep -qx "$s" <<<"$text" || { echo "$page: no $s section" >&2; exit 1; }
done
echo "$whatis"
