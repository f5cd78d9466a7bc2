#!/bin/sh
# The short run of one fuzz target (CTest, label "fuzz"; docs/fuzzing.md):
#   run_fuzz.sh <fuzzer> <corpus dir> <work dir> <dictionary or ""> <seconds> <runs> <seed>
# First every file of the corpus (seeds, and the inputs of past findings: a crash-* file
# that still crashes fails the test at once), then random inputs mutated from them for at
# most <seconds> seconds or <runs> inputs, from libFuzzer's seed <seed> (0: a new one). New
# interesting inputs go to <work dir>/new (wiped first), findings to <work dir>/artifacts;
# the corpus in the tree is only read.
# The parsers' warnings about malformed values are silenced (-close_fd_mask=2); sanitizer
# reports and failed checks still reach the test's output.
set -eu
fuzzer=$1 corpus=$2 work=$3 dict=$4 seconds=$5 runs=$6 seed=$7

rm -rf "$work/new"
mkdir -p "$work/new" "$work/artifacts"
set -- -runs="$runs" -max_total_time="$seconds" -seed="$seed" -timeout=10 -rss_limit_mb=2048 \
  -close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$work/artifacts/"
if [ -n "$dict" ]; then
  set -- "$@" -dict="$dict"
fi
# The corpus replayed on its own first, file by file, so that the output names the input
# of a finding that fails again.
if ! "$fuzzer" -close_fd_mask=2 -timeout=10 -rss_limit_mb=2048 "$corpus"/* \
    >"$work/replay.log" 2>&1; then
  cat "$work/replay.log"
  echo "run_fuzz.sh: an input of $corpus fails (the last 'Running:' line above)"
  exit 1
fi
echo "run_fuzz.sh: replayed $(ls "$corpus" | wc -l) inputs of $corpus"
exec "$fuzzer" "$@" "$work/new" "$corpus"
