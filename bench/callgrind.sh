#!/usr/bin/env bash
# bench/callgrind.sh - instructions per task, counted exactly by valgrind's callgrind.
#
#   bench/callgrind.sh [--fib N1,N2] [--flat K1,K2] [--peers] [--nometrics] [--no-flat]
#                      [--build-dir DIR] [--no-build]
#
# Runs each benchmark with 1 thread at two sizes and prints
#     (Ir(size2) - Ir(size1)) / (tasks(size2) - tasks(size1))
# so start-up, pool creation and verification (all constant) cancel out
# (docs: /work/shared/docs/performance.md, "Measuring"). The larger size is run twice:
# a difference between those two counts means some thread spins for a time-dependent
# number of instructions (the main thread in a wait, or an idle worker), and the figure is
# then only approximate.
#
# Defaults: fib 18,22 and flat 10000,50000 (flat_out and flat_in) for arayon; --peers adds
# libomp, libgomp and oneTBB (fib and their flat forms) for comparison; --nometrics adds
# arayon built with -DARAYON_METRICS=OFF (DIR-nometrics), the exact cost of the metrics.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

fib_sizes="18,22"
flat_sizes="10000,50000"
peers=0
nometrics=0
do_flat=1
build_dir="$root/build/bench"
do_build=1

need_val() { [ $# -ge 2 ] || { echo "callgrind.sh: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
    case "$1" in
    --fib) need_val "$@"; fib_sizes=$2; shift 2 ;;
    --flat) need_val "$@"; flat_sizes=$2; shift 2 ;;
    --peers) peers=1; shift ;;
    --nometrics) nometrics=1; shift ;;
    --no-flat) do_flat=0; shift ;;
    --build-dir) need_val "$@"; build_dir=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    -h | --help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "callgrind.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
IFS=, read -r fib1 fib2 <<<"$fib_sizes"
IFS=, read -r flat1 flat2 <<<"$flat_sizes"
for v in "$fib1" "$fib2" "$flat1" "$flat2"; do
    case "$v" in '' | *[!0-9]*) echo "callgrind.sh: sizes must be two numbers: N1,N2" >&2; exit 2 ;; esac
done
if [ "$fib1" -ge "$fib2" ] || [ "$flat1" -ge "$flat2" ]; then
    echo "callgrind.sh: the second size must be larger" >&2
    exit 2
fi
if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind.sh: valgrind not found (apt-get install valgrind)" >&2
    exit 1
fi

runtimes=arayon
[ "$peers" = 1 ] && runtimes=arayon,libomp,libgomp,tbb
build_args=(--build-only --build-dir "$build_dir" --runtimes "$runtimes")
[ "$nometrics" = 1 ] || build_args+=(--metrics-reps 0)
[ "$do_build" = 1 ] || build_args+=(--no-build)
declare -A bin=()
while read -r tag rt path; do
    [ "$tag" = BIN ] && bin[$rt]=$path
done < <("$here/run" "${build_args[@]}" | tee /dev/stderr | grep '^BIN ')
if [ -z "${bin[arayon]:-}" ]; then
    echo "callgrind.sh: bench_arayon is not available" >&2
    exit 1
fi

out_dir="$build_dir/callgrind"
mkdir -p "$out_dir"

# ir RT ARGS... : total instructions of one run (all threads), or empty on failure.
ir() {
    local rt=$1 f
    shift
    f="$out_dir/$rt.$$.$RANDOM.out"
    if ! valgrind --tool=callgrind --callgrind-out-file="$f" "${bin[$rt]}" --threads 1 \
        --reps 1 --no-warmup "$@" >"$f.log" 2>&1; then
        echo "callgrind.sh: $rt $* failed; see $f.log" >&2
        tail -n 5 "$f.log" >&2
        return
    fi
    sed -n 's/^summary: *//p' "$f"
    rm -f "$f" "$f.log"
}

fib_calls() { # 2*fib(n+1)-1
    local a=0 b=1 i t
    for ((i = 0; i < $1 + 1; i++)); do t=$((a + b)); a=$b; b=$t; done
    echo $((2 * a - 1))
}

# measure RT BENCH N1 N2 TASKS1 TASKS2 ARGS-FOR-N... (args use @N@ for the size)
measure() {
    local rt=$1 bench=$2 n1=$3 n2=$4 t1=$5 t2=$6
    shift 6
    local a1 a2 b2 x
    local args1=() args2=()
    for x in "$@"; do
        args1+=("${x//@N@/$n1}")
        args2+=("${x//@N@/$n2}")
    done
    a1=$(ir "$rt" "${args1[@]}")
    a2=$(ir "$rt" "${args2[@]}")
    b2=$(ir "$rt" "${args2[@]}")
    if [ -z "$a1" ] || [ -z "$a2" ] || [ -z "$b2" ]; then
        printf '%-16s %-10s %9s %9s %16s %16s %12s  %s\n' "$rt" "$bench" "$n1" "$n2" "-" "-" "FAILED" ""
        return
    fi
    awk -v rt="$rt" -v bench="$bench" -v n1="$n1" -v n2="$n2" -v a1="$a1" -v a2="$a2" \
        -v b2="$b2" -v t1="$t1" -v t2="$t2" 'BEGIN {
        per = (a2 - a1) / (t2 - t1)
        d = a2 - b2; if (d < 0) d = -d
        rep = d / t2
        if (d == 0) note = "identical on repeat"
        else if (rep < 1) note = sprintf("repeat differs by %d Ir (%.2f/task)", d, rep)
        else note = sprintf("repeat differs by %.1f Ir/task: time-dependent (spinning?)", rep)
        printf "%-16s %-10s %9d %9d %16.0f %16.0f %12.1f  %s\n", rt, bench, n1, n2, a1, a2, per, note
    }'
}

echo
echo "instructions per task, 1 thread: (Ir(size2) - Ir(size1)) / (tasks(size2) - tasks(size1))"
echo
printf '%-16s %-10s %9s %9s %16s %16s %12s  %s\n' runtime bench size1 size2 "Ir(size1)" "Ir(size2)" "Ir/task" "repeatability"
tf1=$(fib_calls "$fib1")
tf2=$(fib_calls "$fib2")
for rt in arayon arayon_nometrics libomp libgomp tbb; do
    [ -n "${bin[$rt]:-}" ] || continue
    measure "$rt" fib "$fib1" "$fib2" "$tf1" "$tf2" --fib @N@ --bench fib
done
measure arayon serial "$fib1" "$fib2" "$tf1" "$tf2" --fib @N@ --bench serial
if [ "$do_flat" = 1 ]; then
    for rt in arayon arayon_nometrics libomp libgomp tbb; do
        [ -n "${bin[$rt]:-}" ] || continue
        case "$rt" in
        arayon | arayon_nometrics | tbb) variants="flat_out flat_in" ;;
        *) variants="flat_in" ;;
        esac
        for v in $variants; do
            measure "$rt" "$v" "$flat1" "$flat2" "$flat1" "$flat2" --flat @N@ --bench "$v"
        done
    done
fi
echo
echo "(serial = the plain recursive call, per call; peers in performance.md: fib libomp 842,"
echo " oneTBB 673, libgomp 603 Ir/task; flat libomp 776, oneTBB 604, libgomp 129)"
