#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# in-chroot.sh DIR SCRIPT [ARGS]: SCRIPT run by `sh -eu` inside the chroot DIR
# as root, with a clean environment, /proc and a /dev/shm mounted in a mount
# namespace of its own (unshare), so nothing stays mounted on the host
# whatever happens to the run. Used by make-chroot.sh and chroot.sh.
set -eu
[ $# -ge 2 ] || { echo "usage: in-chroot.sh DIR SCRIPT [ARGS]" >&2; exit 2; }
exec unshare --mount --propagation private sh -eu -c '
    dir=$1; script=$2; shift 2
    trap "umount \"\$dir/dev/shm\" \"\$dir/proc\" 2>/dev/null || true" EXIT
    mount -t proc proc "$dir/proc"
    mount -t tmpfs -o mode=1777,size=256m shm "$dir/dev/shm"
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
        DEBIAN_FRONTEND=noninteractive chroot "$dir" sh -eu -c "$script" sh "$@"
' sh "$@"
