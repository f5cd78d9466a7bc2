#!/bin/sh
# tests/bench/smoke.sh - one benchmark binary of bench/, once, at a tiny size (CTest label
# bench-smoke). The figures are not looked at: the test fails when the binary gives a wrong
# result (its ERROR line and exit status 1), crashes, hangs (CTest's timeout), or leaves out a
# benchmark; it is skipped (exit 77) when the peer's toolchain is missing.
#
#   smoke.sh arayon  BINARY                 the CMake-built bench_arayon
#   smoke.sh report  BINARY SRC_DIR OUT     bench_arayon's output through bench/report.py
#   smoke.sh libomp  SRC_DIR OUT [SHIM]     bench_omp.c built by clang -fopenmp=libomp and run on
#                                           libomp, or with SHIM preloaded (runtime arayon-omp)
#   smoke.sh libgomp SRC_DIR OUT [SHIM]     bench_omp.c built by gcc -fopenmp, on libgomp or
#                                           with SHIM preloaded (runtime arayon-gomp)
#   smoke.sh tbb     SRC_DIR OUT            bench_tbb.cpp built by g++ -ltbb
#   smoke.sh forkjoin SRC_DIR OUT SHIM [SANITIZE]
#                                           bench_forkjoin.c built by clang -fopenmp=libomp and
#                                           by gcc -fopenmp, each run --quick on arayon (SHIM
#                                           preloaded) with 2 and 4 threads: every line must
#                                           parse, every construct and kernel say ok. Skipped
#                                           when SANITIZE (the build's -fsanitize) is set.
#
# SRC_DIR is the repository's bench/ directory; OUT a scratch directory. Peers are compiled
# the way bench/run compiles them (plus -Wall -Wextra).
set -u
kind=$1
shift

# The tiny sizes: every workload, each a few ms at most.
ARGS="--threads 2 --reps 1 --fib 12 --nqueens 6 --flat 100,2000 --uts 100 --reduce 100000
      --stream 3000 --window 16 --flood 5000"
BENCHES_ALL="fib,serial,nqueens,uts,reduce,stream,flat_out,flat_in,flood_out,flood_in,flood_serial"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

# run_check RUNTIME EXPECTED-BENCHES CMD... : runs CMD, fails on a non-zero exit, an ERROR line,
# a RESULT line of another runtime, or a missing RESULT for one of EXPECTED-BENCHES.
run_check() {
    rt=$1 want=$2
    shift 2
    out=$("$@" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    [ "$rc" -eq 0 ] || fail "$rt: exit status $rc"
    if printf '%s\n' "$out" | grep -q '^ERROR'; then fail "$rt: ERROR line"; fi
    other=$(printf '%s\n' "$out" | grep '^RESULT ' | grep -v " runtime=$rt " | grep -v ' runtime=serial ')
    [ -z "$other" ] || fail "$rt: RESULT lines of another runtime: $other"
    for b in $(echo "$want" | tr ',' ' '); do
        printf '%s\n' "$out" | grep -q "^RESULT runtime=[^ ]* bench=$b " || fail "$rt: no RESULT for $b"
    done
    echo "PASS: $rt"
}

case "$kind" in
arayon)
    bin=$1
    # shellcheck disable=SC2086
    run_check arayon "fib,nqueens,uts,reduce,stream,flat_out,flat_in,flood_out,flood_in" \
        "$bin" $ARGS --bench "$BENCHES_ALL"
    ;;
report)
    bin=$1 src=$2 out=$3
    command -v python3 >/dev/null 2>&1 || skip "python3 not found"
    mkdir -p "$out" || exit 1
    bash -n "$src/run" || fail "bench/run does not parse (bash -n)"
    # shellcheck disable=SC2086
    "$bin" $ARGS --bench "$BENCHES_ALL" >"$out/one.log" 2>&1 || fail "bench_arayon failed"
    sed 's/^/round=1 /' "$out/one.log" >"$out/raw.log"
    sed 's/^/round=2 /' "$out/one.log" >>"$out/raw.log"
    rm -f "$out/results.csv" "$out/results-raw.csv" "$out/chart.svg"
    python3 "$src/report.py" "$out/raw.log" "$out" || fail "report.py failed"
    python3 - "$out" <<'PY' || fail "report.py wrote wrong files"
import csv, sys, xml.dom.minidom
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/results.csv")))
raw = list(csv.DictReader(open(d + "/results-raw.csv")))
work = {r["workload"] for r in rows if r["runtime"] == "arayon"}
need = {"fib", "nqueens", "uts", "reduce", "stream", "flat_out", "flat_in", "flood_out", "flood_in"}
assert need <= work, ("missing workloads", need - work)
assert len(raw) == 2 * len(rows), (len(raw), len(rows))
assert all(r["rounds"] == "2" for r in rows), rows
assert all(float(r["ns_per_task"]) > 0 for r in rows), rows
svg = xml.dom.minidom.parse(d + "/chart.svg")
assert len(svg.getElementsByTagName("rect")) > len(need), "too few bars"
print("report files ok:", len(rows), "rows,", len(raw), "raw rows")
PY
    echo "PASS: report"
    ;;
libomp | libgomp)
    src=$1 out=$2 shim=${3:-}
    mkdir -p "$out" || exit 1
    if [ "$kind" = libomp ]; then
        cc=clang flags="-fopenmp=libomp" lib=libomp.so shim_rt=arayon-omp
    else
        cc=gcc flags="-fopenmp" lib=libgomp.so shim_rt=arayon-gomp
    fi
    command -v "$cc" >/dev/null 2>&1 || skip "$cc not found"
    printf '#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel\n#pragma omp atomic\nn++;\nreturn n>0?0:1;}\n' >"$out/probe.c"
    # shellcheck disable=SC2086
    $cc $flags "$out/probe.c" -o "$out/probe" >/dev/null 2>&1 || skip "$cc $flags cannot build an OpenMP program (omp.h or $lib missing?)"
    case "$(ldd "$out/probe" 2>/dev/null)" in *"$lib"*) ;; *) skip "$cc $flags does not link $lib" ;; esac
    exe="$out/bench_$kind"
    # shellcheck disable=SC2086
    $cc -std=c11 -O2 -Wall -Wextra $flags -DBENCH_RUNTIME="\"$kind\"" "$src/bench_omp.c" -ldl \
        -o "$exe" || fail "$cc could not build bench_omp.c"
    if [ -z "$shim" ]; then
        rt=$kind
        set --
    else
        [ -f "$shim" ] || fail "no shim at $shim"
        rt=$shim_rt
        set -- env LD_PRELOAD="$shim"
        which=$("$@" "$exe" --which-runtime 2>&1)
        printf '%s\n' "$which"
        [ "$(printf '%s\n' "$which" | head -n 1)" = arayon ] || fail "the preload is not effective"
    fi
    # shellcheck disable=SC2086
    run_check "$rt" "fib,nqueens,uts,reduce,stream,flat_in,flood_in" \
        "$@" "$exe" $ARGS --bench "$BENCHES_ALL"
    ;;
tbb)
    src=$1 out=$2
    mkdir -p "$out" || exit 1
    command -v g++ >/dev/null 2>&1 || skip "g++ not found"
    printf '#include <oneapi/tbb/parallel_pipeline.h>\n#include <oneapi/tbb/task_group.h>\nint main(){tbb::task_group g; int x=0; g.run([&]{x=1;}); g.wait(); return x==1?0:1;}\n' >"$out/probe.cpp"
    g++ -std=c++17 "$out/probe.cpp" -ltbb -o "$out/probe" >/dev/null 2>&1 || skip "g++ cannot build a oneTBB program (libtbb-dev missing?)"
    exe="$out/bench_tbb"
    g++ -std=c++17 -O2 -Wall -Wextra "$src/bench_tbb.cpp" -ltbb -o "$exe" || fail "g++ could not build bench_tbb.cpp"
    # shellcheck disable=SC2086
    run_check tbb "fib,nqueens,uts,reduce,stream,flat_out,flat_in,flood_out,flood_in" \
        "$exe" $ARGS --bench "$BENCHES_ALL"
    ;;
forkjoin)
    src=$1 out=$2 shim=$3 san=${4:-}
    # A sanitized shim needs its sanitizer's runtime loaded first, which a program built
    # without the sanitizer does not do (as bench.smoke.arayon-omp, which is not defined there).
    [ -z "$san" ] || skip "sanitizer build (-fsanitize=$san): a sanitized libarayon-omp.so cannot be preloaded into bench_forkjoin, which is built without the sanitizer; run this test in a build without ARAYON_SANITIZE"
    [ -f "$shim" ] || fail "no shim at $shim"
    mkdir -p "$out" || exit 1
    printf '#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel\n#pragma omp atomic\nn++;\nreturn n>0?0:1;}\n' >"$out/probe.c"
    constructs="PARALLEL FOR PARALLEL_FOR BARRIER SINGLE CRITICAL LOCK ATOMIC REDUCTION ORDERED SECTIONS DYNAMIC GUIDED PRIVATE FIRSTPRIVATE COPYPRIVATE COPYIN"
    built=0
    for cc in clang gcc; do
        if [ "$cc" = clang ]; then flags="-fopenmp=libomp"; else flags="-fopenmp"; fi
        if ! command -v "$cc" >/dev/null 2>&1; then
            echo "SKIP: $cc not found: bench_forkjoin_$cc not tested"
            continue
        fi
        # shellcheck disable=SC2086
        if ! $cc $flags "$out/probe.c" -o "$out/probe-$cc" >/dev/null 2>&1; then
            echo "SKIP: $cc $flags cannot build an OpenMP program (omp.h or its runtime missing?): bench_forkjoin_$cc not tested"
            continue
        fi
        exe="$out/bench_forkjoin_$cc"
        # shellcheck disable=SC2086
        $cc -std=c11 -O2 -Wall -Wextra $flags "$src/bench_forkjoin.c" -o "$exe" -ldl -lm ||
            fail "$cc could not build bench_forkjoin.c"
        built=1
        for t in 2 4; do
            echo "== bench_forkjoin_$cc --quick on arayon, $t threads"
            res=$(env OMP_NUM_THREADS="$t" LD_PRELOAD="$shim" "$exe" --quick 2>&1)
            rc=$?
            printf '%s\n' "$res"
            [ "$rc" -eq 0 ] || fail "bench_forkjoin_$cc, $t threads: exit status $rc"
            # Every line: empty, a # comment, or "fj" and key=value fields, the constructs'
            # and kernels' lines ending in ok (WRONG, or anything else, fails).
            bad=$(printf '%s\n' "$res" | awk -v cc="$cc" -v t="$t" -v want="$constructs" '
                function problem(m) { print m ": " $0; nbad++ }
                /^$/ || /^#/ { next }
                $1 != "fj" { problem("not an fj line"); next }
                {
                    delete f; st = ""
                    for (i = 2; i <= NF; i++) {
                        if ($i ~ /^[a-z_]+=[^= ]+$/) { p = index($i, "="); f[substr($i, 1, p - 1)] = substr($i, p + 1) }
                        else if (i == NF) st = $i
                        else { problem("field " i " is not key=value"); next }
                    }
                    if (f["runtime"] != "arayon") problem("runtime is not arayon")
                    if (f["compiler"] != cc) problem("compiler is not " cc)
                    if (f["threads"] != t) problem("threads is not " t)
                    if ("setup" in f) { setup++; if (st != "") problem("setup line with a status"); next }
                    if (st != "ok") problem("status not ok")
                    if ("construct" in f) {
                        for (k in f) if (k ~ /_us$/ && f[k] !~ /^-?[0-9]+(\.[0-9]+)?$/) problem(k " is not a number")
                        seen[f["construct"]]++
                    } else if ("kernel" in f) {
                        if (f["ms"] !~ /^[0-9]+(\.[0-9]+)?$/) problem("ms is not a number")
                        seen[f["kernel"]]++
                    } else problem("neither setup, construct nor kernel")
                }
                END {
                    if (setup != 1) { print "no setup line"; nbad++ }
                    n = split(want " jacobi redloop", w, " ")
                    for (i = 1; i <= n; i++) if (seen[w[i]] != 1) { print "no line (or several) for " w[i]; nbad++ }
                    exit nbad > 0
                }')
            [ -z "$bad" ] || fail "bench_forkjoin_$cc, $t threads: $bad"
            echo "PASS: bench_forkjoin_$cc on arayon, $t threads"
        done
    done
    [ "$built" = 1 ] || skip "neither clang nor gcc can build an OpenMP program"
    echo "PASS: forkjoin"
    ;;
*)
    fail "unknown kind $kind"
    ;;
esac
