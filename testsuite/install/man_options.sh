#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# man_options.sh KMODX COMMAND PAGE: every option the command's --help lists
# (long and short) is documented in its man page. COMMAND "kmodx" means the
# multi-call binary itself.
set -euo pipefail
exe=$1 cmd=$2 page=$3
if [ "$cmd" = kmodx ]; then help=$("$exe" --help); else help=$("$exe" "$cmd" --help); fi

# The option column of the rows that start with an option ("-a, --all   ..."),
# not options mentioned in descriptions; kmodx's own help has only its usage
# line ("kmodx --version | --help").
rows=$(grep -E '^[[:space:]]+-' <<<"$help" | sed -E 's/^[[:space:]]+//; s/ {2,}.*//; s/\t.*//') || rows=$help
mapfile -t opts < <(grep -oE -- '(^|[[:space:],|])--?[a-zA-Z0-9][a-z0-9-]*' <<<"$rows" |
                    grep -oE -- '--?[a-zA-Z0-9][a-z0-9-]*' | sort -u)
if [ ${#opts[@]} -lt 2 ]; then
    echo "found only ${#opts[@]} options in '$cmd --help' (parser broken?):" >&2
    echo "$help" >&2
    exit 1
fi

# Wide enough that no option is broken across lines; C locale for ASCII hyphens.
text=$(MANWIDTH=1000 LC_ALL=C man -l "$page" 2>/dev/null | col -bx)
missing=()
for o in "${opts[@]}"; do
    grep -qE -- "(^|[^a-zA-Z0-9-])${o}([^a-zA-Z0-9-]|$)" <<<"$text" || missing+=("$o")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "$page does not document: ${missing[*]}" >&2
    exit 1
fi
echo "${#opts[@]} options of '$cmd --help' documented in $(basename "$page")"
