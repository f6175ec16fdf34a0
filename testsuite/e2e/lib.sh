# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers for end-to-end tests: fresh simulated machines, running
# kmodx or Debian's kmod inside them, and assertions.
#
# Environment (set by meson): KMODX_BUILD (build dir), FIXTURE_ROOT (the
# generated fixture machine), SIMRUN (testsuite/simkernel/simrun),
# SIMKERNEL_LIB (the shim). STOCK_KMOD may point at another kmod binary.
set -u

: "${KMODX_BUILD:?KMODX_BUILD not set (run through meson test)}"
: "${FIXTURE_ROOT:?FIXTURE_ROOT not set}"
: "${SIMRUN:?SIMRUN not set}"
STOCK_KMOD=${STOCK_KMOD:-/usr/bin/kmod}
# The kmod release the build must match: "30" (Debian 12), "34.2" (Debian 13).
stock_kmod_version() { "$STOCK_KMOD" -V 2>/dev/null | sed -n '1s/^kmod version //p'; }
E2E_TIMEOUT=${E2E_TIMEOUT:-60}

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kmodx-e2e.XXXXXX")
# A test that fails half way can leave processes behind: a holder in a
# hanging init, a waiter, a stopped strace tracee. Each ran in a simulated
# kernel under E2E_TMP (SIMKERNEL_ROOT in its environment); left alive they
# would poll or sleep forever and eat the CPU of later tests and benchmarks.
kill_leftovers() {
    local e p
    for e in /proc/[0-9]*/environ; do
        p=${e#/proc/}; p=${p%/environ}
        [ "$p" != "$$" ] || continue
        grep -qzF "SIMKERNEL_ROOT=$E2E_TMP/" "$e" 2>/dev/null && kill -9 "$p" 2>/dev/null
    done
    return 0
}
trap 'rc=$?; [ "$rc" -eq 0 ] || kill_leftovers; rm -rf "$E2E_TMP"' EXIT

# kmod dispatches on argv[0]: give it the real command names.
mkdir -p "$E2E_TMP/stock"
for t in modprobe insmod rmmod lsmod modinfo depmod; do
    ln -s "$STOCK_KMOD" "$E2E_TMP/stock/$t"
done

die() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

[ -x "$STOCK_KMOD" ] || skip "stock kmod not installed ($STOCK_KMOD)"

# A private copy of the fixture machine. Module files are hard links (tools
# only read them; copy a file before changing it), everything else is copied
# so kernel state never leaks between tests.
new_root() {
    local r
    r=$(mktemp -d "$E2E_TMP/root.XXXXXX")
    (cd "$FIXTURE_ROOT" && find . -mindepth 1 -maxdepth 1 ! -name lib -exec cp -a {} "$r/" \;)
    mkdir -p "$r/lib"
    cp -al "$FIXTURE_ROOT/lib/modules" "$r/lib/modules"
    # The index files are rewritten by depmod in some tests: real copies.
    find "$r/lib/modules" -maxdepth 2 -name 'modules.*' -type f -exec sh -c 'cp --remove-destination "$1" "$1.tmp" && mv "$1.tmp" "$1"' _ {} \;
    echo "$r"
}

# sim_run ROOT PROGRAM ARGS...: PROGRAM in ROOT's simulated kernel, in a clean
# environment (only what a boot-time modprobe would see, plus the shim and any
# NAME=VALUE words in $SIM_ENV), bounded by E2E_TIMEOUT. Stdio as the caller sets it.
sim_run() {
    local root=$1; shift
    # shellcheck disable=SC2086 # SIM_ENV is a list of words
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ LANG=C.UTF-8 \
        ${SIMKERNEL_LIB:+SIMKERNEL_LIB="$SIMKERNEL_LIB"} \
        ${MODPROBE_OPTIONS+MODPROBE_OPTIONS="$MODPROBE_OPTIONS"} ${SIM_ENV:-} \
        timeout -k 5 "$E2E_TIMEOUT" "$SIMRUN" "$root" "$@"
}

# run_in ROOT PROGRAM ARGS... -> $OUT $ERR $RC (stdin from /dev/null).
run_in() {
    local out="$E2E_TMP/out.$$" err="$E2E_TMP/err.$$"
    RC=0
    sim_run "$@" </dev/null >"$out" 2>"$err" || RC=$?
    [ "$RC" -ne 124 ] || die "timed out after ${E2E_TIMEOUT}s: $*"
    OUT=$(cat "$out"; echo x); OUT=${OUT%x}
    ERR=$(cat "$err"; echo x); ERR=${ERR%x}
}

# spawn TAG ROOT PROGRAM ARGS...: one sim_run in the background; its stdout,
# stderr and exit status land in $E2E_TMP/TAG.out, TAG.err and TAG.rc.
spawn() {
    local tag=$1; shift
    (sim_run "$@" </dev/null >"$E2E_TMP/$tag.out" 2>"$E2E_TMP/$tag.err"; echo $? >"$E2E_TMP/$tag.rc") &
}

# storm N ROOT PROGRAM ARGS...: N copies at once (tags s.1 .. s.N), all finished on return.
storm() {
    local n=$1 i=0; shift
    while [ "$i" -lt "$n" ]; do
        i=$((i + 1))
        spawn "s.$i" "$@"
    done
    wait
}

run_kmodx() { local root=$1 tool=$2; shift 2; run_in "$root" "$KMODX_BUILD/tools/$tool" "$@"; }
run_stock() { local root=$1 tool=$2; shift 2; run_in "$root" "$E2E_TMP/stock/$tool" "$@"; }

# What the simulated kernel holds: /proc/modules and every file under
# /sys/module with its content. Compared between stock and kmodx runs.
kernel_state() {
    local root=$1
    cat "$root/proc/modules" 2>/dev/null
    (cd "$root/sys/module" 2>/dev/null && find . -mindepth 1 | LC_ALL=C sort | while read -r p; do
        if [ -f "$p" ]; then printf '%s = %s\n' "$p" "$(cat "$p")"; else printf '%s/\n' "$p"; fi
    done)
}

# Number of load syscalls (init_module + finit_module) the kernel saw for NAME.
load_calls() {
    local root=$1 name=$2
    [ -f "$root/.simkernel/calls.log" ] || { echo 0; return; }
    awk -F'\t' -v m="$name" '($3=="finit_module"||$3=="init_module"||$3=="finit"||$3=="init") && $4==m {n++} END {print n+0}' \
        "$root/.simkernel/calls.log"
}

assert_rc() { [ "$RC" -eq "$1" ] || die "exit status $RC, expected $1${ERR:+ (stderr: $ERR)}"; }
assert_out_eq() { [ "$OUT" = "$1" ] || die "stdout differs:
--- expected
$1
--- got
$OUT"; }
assert_err_eq() { [ "$ERR" = "$1" ] || die "stderr differs:
--- expected
$1
--- got
$ERR"; }
assert_out_contains() { case "$OUT" in *"$1"*) ;; *) die "stdout lacks '$1': $OUT" ;; esac; }
assert_err_contains() { case "$ERR" in *"$1"*) ;; *) die "stderr lacks '$1': $ERR" ;; esac; }
assert_eq() { [ "$1" = "$2" ] || die "${3:-values differ}: got '$1', expected '$2'"; }

# openers FILE: how many of this build's kmodx processes hold FILE open.
openers() {
    for p in $(pgrep -f -- "$KMODX_BUILD/tools/"); do
        for fd in /proc/"$p"/fd/*; do readlink "$fd"; done
    done 2>/dev/null | grep -cxF "$1"
}

# wait_for [-t SECONDS] WHAT COMMAND...: polls COMMAND every 50 ms until it
# succeeds, for SECONDS (default 10) at most; past that the test fails,
# naming WHAT it waited for. The one bounded poll of the e2e cases: a loaded
# machine stretches every step, so none of them may wait without a bound.
wait_for() {
    local limit=10 what n=0
    if [ "$1" = -t ]; then limit=$2; shift 2; fi
    what=$1; shift
    until "$@"; do
        n=$((n + 1))
        [ "$n" -lt $((limit * 20)) ] || die "timed out after ${limit} s waiting for $what"
        sleep 0.05
    done
}

# wait_openers FILE N: until at least N processes hold FILE open (30 s at most).
at_least_openers() { [ "$(openers "$1")" -ge "$2" ]; }
wait_openers() {
    wait_for -t 30 "$2 processes to open $1" at_least_openers "$1" "$2"
}
