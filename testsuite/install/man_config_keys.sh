#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# man_config_keys.sh CONFIG_CPP PAGE: every key of kmodx.conf and its
# environment variable, as the parser's table (lib/core/config.cpp) has them,
# is documented in kmodx.conf(5), and the page documents no key the parser
# does not know.
set -euo pipefail
src=$1 page=$2
mapfile -t rows < <(grep -oE '\{"[a-z_]+", "KMODX_[A-Z_]+"' "$src" | tr -d '{"' | tr ',' ' ')
[ ${#rows[@]} -ge 5 ] || { echo "found only ${#rows[@]} keys in $src (table changed?)" >&2; exit 1; }

text=$(MANWIDTH=1000 LC_ALL=C man -l "$page" 2>/dev/null | col -bx)
missing=()
for r in "${rows[@]}"; do
    read -r key env <<<"$r"
    grep -qE "^ +$key = " <<<"$text" || missing+=("$key")
    grep -qE "(^|[^A-Z_])$env([^A-Z_]|$)" <<<"$text" || missing+=("$env")
done
# Keys the page documents (its SETTINGS entries) that the parser lacks.
known=" $(printf '%s\n' "${rows[@]}" | cut -d' ' -f1 | tr '\n' ' ') "
extra=()
while read -r key; do
    [[ $known == *" $key "* ]] || extra+=("$key")
done < <(sed -n '/^SETTINGS/,/^[A-Z]/p' <<<"$text" | grep -oE '^ +[a-z_]+ = ' | grep -oE '[a-z_]+')
if [ ${#missing[@]} -gt 0 ] || [ ${#extra[@]} -gt 0 ]; then
    [ ${#missing[@]} -gt 0 ] && echo "$page does not document: ${missing[*]}" >&2
    [ ${#extra[@]} -gt 0 ] && echo "$page documents keys the parser does not know: ${extra[*]}" >&2
    exit 1
fi
echo "${#rows[@]} settings of $src documented in $(basename "$page")"
