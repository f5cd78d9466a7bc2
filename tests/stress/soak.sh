#!/bin/sh
# soak.sh - the long mode of the stress programs, across seeds, for a given time.
#
#   tests/stress/soak.sh <build dir> <minutes> [<log dir>]
#
# Runs stress (about two thirds of the time) and stress_omp (the rest, when it was built) in
# turns of at most 5 minutes, each turn with a new random seed, 2 busy background processes
# (--busy 2) and the workarounds of the known faults that the registered tests use
# (STRESS_ARGS and STRESS_OMP_ARGS override them). A failing turn does not stop the soak: its
# log is kept as <log dir>/FAILED-<program>-<seed>.log and the next turn starts with a new
# seed. The passing turns' logs are <log dir>/<program>-<seed>.log. The summary at the end
# lists every turn with its seed, so that any of them can be replayed (docs/stress.md).
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 <build dir> <minutes> [<log dir>]" >&2
    exit 2
fi
build=$1
minutes=$2
logs=${3:-soak-logs}
dir=$build/tests/stress
[ -x "$dir/stress" ] || { echo "$0: no $dir/stress (build the stress target)" >&2; exit 2; }
mkdir -p "$logs"
: "${STRESS_ARGS:=--without migrate,deadline-async}"
: "${STRESS_OMP_ARGS:=}"
end=$(( $(date +%s) + minutes * 60 ))
omp_end=$(( $(date +%s) + minutes * 60 / 3 ))
failures=0
turns=0
summary=$logs/summary.txt
: > "$summary"
turn() { # program, minutes, args...
    prog=$1; m=$2; shift 2
    seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    log=$logs/$prog-$seed.log
    start=$(date +%s)
    if [ "$prog" = stress ]; then
        "$dir/stress" --seed "$seed" --minutes "$m" --busy 2 $STRESS_ARGS "$@" > "$log" 2>&1
    else
        "$dir/stress_omp" --seed "$seed" --minutes "$m" --busy 2 $STRESS_OMP_ARGS "$@" > "$log" 2>&1
    fi
    rc=$?
    took=$(( $(date +%s) - start ))
    turns=$((turns + 1))
    if [ $rc -ne 0 ]; then
        failures=$((failures + 1))
        mv "$log" "$logs/FAILED-$prog-$seed.log"
        echo "$prog seed $seed: FAILED (exit $rc) after ${took} s: $logs/FAILED-$prog-$seed.log" | tee -a "$summary"
    else
        echo "$prog seed $seed: ok, ${took} s: $(tail -1 "$log")" | tee -a "$summary"
    fi
}
# stress_omp first, for a third of the time
if [ -x "$dir/stress_omp" ]; then
    while [ "$(date +%s)" -lt "$omp_end" ]; do
        left=$(( (omp_end - $(date +%s) + 59) / 60 ))
        [ $left -gt 5 ] && left=5
        turn stress_omp "$left"
    done
fi
while [ "$(date +%s)" -lt "$end" ]; do
    left=$(( (end - $(date +%s) + 59) / 60 ))
    [ $left -gt 5 ] && left=5
    turn stress "$left"
done
echo "soak: $turns turns in $minutes minutes, $failures failed (logs in $logs)" | tee -a "$summary"
[ $failures -eq 0 ]
