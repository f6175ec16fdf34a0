#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# run.sh FUZZER SEED_DIR: one short libFuzzer run as a test. New inputs go to
# a scratch directory (the committed seeds stay as they are); a crash leaves
# its input in $FUZZ_ARTIFACTS (default ./fuzz-artifacts) and fails the test.
set -eu
exe=$1
seeds=$2
seconds=${FUZZ_SECONDS:-30}
artifacts=${FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}
mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/kmodx-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
name=$(basename "$exe")
# Exit statuses: libFuzzer's own (77 for a crash) would read as "skipped" to
# meson. -rss_limit_mb: a decompression bomb that got past the bound shows up
# as an out-of-memory finding instead of taking the machine down.
"$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
    -error_exitcode=1 -timeout_exitcode=1 \
    -artifact_prefix="$artifacts/$name-" "$work" "$seeds"
