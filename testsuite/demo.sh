#!/bin/sh
# The main job, as a demo: in two identical simulated machines, load a module
# with its dependency chain using Debian's kmod in one and kmodx in the other,
# then show lsmod, modinfo and what the simulated kernel saw.
# Usage: testsuite/demo.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export KMODX_BUILD="$build"
export FIXTURE_ROOT="$build/testsuite/fixtures/root"
export SIMRUN="$here/simkernel/simrun"
export SIMKERNEL_LIB="$build/testsuite/simkernel/libsimkernel.so"
. "$here/e2e/lib.sh"

module=${DEMO_MODULE:-nvme}
show() { printf '%s' "$OUT"; printf '%s' "$ERR"; echo "(exit $RC)"; }

for impl in stock kmodx; do
    root=$(new_root)
    if [ "$impl" = stock ]; then label="Debian kmod ($("$STOCK_KMOD" --version | head -1))"; else label="kmodx ($("$build/tools/kmodx" --version))"; fi
    echo "=================== $label ==================="
    echo "\$ modprobe -v $module"; run_"$impl" "$root" modprobe -v "$module"; show
    echo "\$ lsmod"; run_"$impl" "$root" lsmod; show
    echo "\$ modinfo $module"; run_"$impl" "$root" modinfo "$module"; show
    echo "\$ modprobe -q -- $module   # again: already live"; run_"$impl" "$root" modprobe -q -- "$module"; show
    echo "--- what the simulated kernel saw:"
    python3 "$here/simkernel/simkernel-report" "$root" 2>/dev/null || sh "$here/simkernel/simkernel-report" "$root"
    echo
done
