#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# install_layout.sh BUILDDIR SRCDIR MESON: `meson install --destdir` puts
# exactly the files docs/install.md lists under "Installed files" (no more, no
# fewer), the command names are links to kmodx, the installed program runs,
# the tmpfiles.d entry creates the runtime directory as promised and the
# systemd unit passes systemd-analyze verify, with no enablement installed.
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) meson=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
dest=$T/dest

"$meson" install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$T/install.log" 2>&1 || {
    cat "$T/install.log" >&2
    exit 1
}
prefix=$("$meson" introspect "$build" --buildoptions |
         python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
runtime_dir=$("$meson" introspect "$build" --buildoptions |
              python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "runtime_dir"))')

# docs/install.md's paths are written for the default prefix /usr/local.
(cd "$dest" && find . \( -type f -o -type l \) | sed "s|^\.$prefix/|/usr/local/|" | sort) >"$T/installed"
sed -n '/^## Installed files/,/^## /p' "$src/docs/install.md" | grep -oE '^- `/[^`]+`' |
    sed -E 's/^- `(.*)`$/\1/' | sort >"$T/listed"
[ -s "$T/listed" ] || { echo "docs/install.md has no '## Installed files' list" >&2; exit 1; }
if ! diff -u "$T/listed" "$T/installed" >"$T/diff"; then
    echo "installed files differ from docs/install.md's list (- listed only, + installed only):" >&2
    cat "$T/diff" >&2
    exit 1
fi

for c in modprobe insmod rmmod lsmod modinfo; do
    [ "$(readlink "$dest$prefix/sbin/$c")" = kmodx ] || { echo "sbin/$c is not a link to kmodx" >&2; exit 1; }
done
"$dest$prefix/sbin/modprobe" -V | grep -q '^kmodx version ' || { echo "installed modprobe -V is not kmodx" >&2; exit 1; }

if command -v systemd-tmpfiles >/dev/null && [ "$(id -u)" = 0 ]; then
    systemd-tmpfiles --create --root="$T/root" "$dest$prefix/lib/tmpfiles.d/kmodx.conf"
    [ "$(stat -c '%F %a %U %G' "$T/root$runtime_dir")" = "directory 755 root root" ] || {
        echo "tmpfiles.d entry made: $(stat -c '%F %a %U %G' "$T/root$runtime_dir" 2>&1)" >&2
        exit 1
    }
else
    echo "systemd-tmpfiles unavailable or not root: tmpfiles.d entry not applied"
fi

if command -v systemd-analyze >/dev/null; then
    unit=$dest$prefix/lib/systemd/system/kmodx-stats-archive.service
    # The unit names the installed path; verify it against the DESTDIR copy.
    sed "s|$prefix/sbin/kmodx|$dest$prefix/sbin/kmodx|g" "$unit" >"$T/kmodx-stats-archive.service"
    out=$(MANPATH=$dest$prefix/share/man systemd-analyze verify "$T/kmodx-stats-archive.service" 2>&1) || true
    if [ -n "$out" ]; then
        echo "systemd-analyze verify: $out" >&2
        exit 1
    fi
    grep -qx 'ExecStop=.*/kmodx modprobe --stats-archive' "$unit" || { echo "unit has no ExecStop archive" >&2; exit 1; }
else
    echo "systemd-analyze unavailable: unit not verified"
fi
echo "$(wc -l <"$T/installed") files installed as docs/install.md lists them"
