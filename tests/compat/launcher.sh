#!/bin/sh
# launcher.sh CASE RUN BINDIR WORKDIR - one test of the arayon-run launcher (compat/arayon-run.in).
#   RUN      the build tree's arayon-run
#   BINDIR   where the compat programs are (which_runtime-libomp, flood-libomp, and for the
#            gcc_* cases which_runtime-gcc-libgomp, built by gcc -fopenmp against libgomp)
#   WORKDIR  a scratch directory for the case's output
# Exits 0 when the case passes; otherwise prints what went wrong and exits 1.
set -u

case_name=$1 run=$2 bindir=$3 work=$4
mkdir -p "$work" || exit 1
out=$work/$case_name.out
err=$work/$case_name.err
# The launcher must set the environment itself: start from none of its variables.
unset OMP_NUM_THREADS ARAYON_MAX_PENDING ARAYON_FULL_POLICY ARAYON_METRICS OMP_DISPLAY_ENV \
    LD_PRELOAD COMPAT_EXPECT_BOUND 2>/dev/null
which_runtime=$bindir/which_runtime-libomp
flood=$bindir/flood-libomp
which_runtime_gcc=$bindir/which_runtime-gcc-libgomp
failed=0

fail() {
    echo "launcher.sh $case_name: $*" >&2
    failed=1
}

show() {
    echo "--- stdout:" >&2
    cat "$out" >&2
    echo "--- stderr:" >&2
    cat "$err" >&2
}

# launch EXPECTED_RC ARGS...: runs arayon-run ARGS with stdout/stderr to $out/$err.
launch() {
    want=$1
    shift
    "$run" "$@" >"$out" 2>"$err"
    rc=$?
    [ "$rc" -eq "$want" ] || fail "arayon-run $* exited with $rc, expected $want"
}

# stderr_has TEXT...: every TEXT appears (fixed strings) in stderr.
stderr_has() {
    for t in "$@"; do
        grep -qF -- "$t" "$err" || fail "stderr does not mention '$t'"
    done
}

stdout_has() {
    for t in "$@"; do
        grep -qF -- "$t" "$out" || fail "stdout does not contain '$t'"
    done
}

# A usage error: exit 2, a message on stderr naming the problem, nothing run, nothing on stdout.
usage_error() {
    launch 2 "$@"
    [ -s "$out" ] && fail "stdout is not empty"
    grep -q '^arayon-run: ' "$err" || fail "no 'arayon-run: ...' message on stderr"
}

case $case_name in
help)
    launch 0 --help
    stdout_has "arayon-run [options] [--] program [args...]" "--threads N" "--max-pending N" \
        "--policy P" "--metrics" "--mode M" "--lib PATH" "--help"
    [ -s "$err" ] && fail "--help wrote to stderr"
    launch 0 -h
    stdout_has "arayon-run [options]"
    ;;
help_clean)
    # The usage text is the script's header comment, and only that.
    launch 0 --help
    grep -n -e 'set -eu' -e '^lib=' "$out" >&2 && fail "the usage text includes lines of the script"
    ;;
unknown_option)
    usage_error --bogus -- sh -c 'echo PROGRAM-RAN'
    stderr_has "unknown option" "--bogus"
    ;;
missing_value)
    for opt in --threads -t --max-pending --policy --mode --lib; do
        usage_error "$opt"
        stderr_has "$opt" "needs a value"
    done
    ;;
threads_zero)
    usage_error --threads 0 -- sh -c 'echo PROGRAM-RAN'
    stderr_has "--threads" "at least 1"
    ;;
threads_abc)
    usage_error --threads abc -- sh -c 'echo PROGRAM-RAN'
    stderr_has "--threads" "'abc'"
    usage_error --max-pending -5 -- sh -c 'echo PROGRAM-RAN'
    stderr_has "--max-pending" "'-5'"
    ;;
policy_bogus)
    usage_error --policy bogus -- sh -c 'echo PROGRAM-RAN'
    stderr_has "--policy" "'bogus'" "block, reject or inline"
    ;;
mode_bogus)
    usage_error --mode bogus -- sh -c 'echo PROGRAM-RAN'
    stderr_has "--mode" "'bogus'" "preload or alias"
    ;;
no_program)
    usage_error
    stderr_has "no program"
    usage_error --threads 2 --
    stderr_has "no program"
    ;;
missing_lib)
    usage_error --lib "$work/no-such-lib.so" -- sh -c 'echo PROGRAM-RAN'
    stderr_has "$work/no-such-lib.so" "does not exist"
    ;;
threads)
    # A program built against libomp runs on arayon with 3 threads (and gets its arguments).
    launch 0 --threads 3 -- "$which_runtime" threads=3
    stdout_has "which_runtime: arayon" "team of 3"
    launch 0 -t 2 "$which_runtime" threads=2
    stdout_has "which_runtime: arayon" "team of 2"
    ;;
metrics)
    launch 0 --metrics --threads 2 -- "$flood" 20000
    stdout_has "flood: 20000 tasks"
    stderr_has "metrics of pool" "spawned" "completed"
    # the report is on stderr only
    grep -q 'spawned' "$out" && fail "the metrics report went to stdout"
    # 20000 tasks went through the pool (spawned or run inline)
    spawned=$(awk '$1 == "spawned" { print $2 }' "$err")
    inline=$(awk '$1 == "run_inline" { print $2 }' "$err")
    [ "$(( ${spawned:-0} + ${inline:-0} ))" -ge 20000 ] ||
        fail "the report counts ${spawned:-?} spawned + ${inline:-?} inline tasks, expected 20000"
    launch 0 --threads 2 -- "$which_runtime"
    grep -q 'metrics of pool' "$err" && fail "a report without --metrics"
    ;;
display_env)
    launch 0 --display-env --threads 2 -- "$which_runtime"
    stderr_has "OPENMP DISPLAY ENVIRONMENT BEGIN" "OMP_NUM_THREADS = '2'"
    ;;
mode_alias)
    launch 0 --mode alias --threads 3 -- "$which_runtime" threads=3
    stdout_has "which_runtime: arayon" "libomp-alias"
    launch 0 --mode preload --threads 2 -- "$which_runtime" threads=2
    stdout_has "which_runtime: arayon"
    ;;
max_pending)
    # The flood's creator may be at most 100 tasks (plus slack) ahead of the runners.
    COMPAT_EXPECT_BOUND=100
    export COMPAT_EXPECT_BOUND
    launch 0 --max-pending 100 --policy inline --threads 2 -- "$flood" 200000
    stdout_has "(bound checked)" "team of 2"
    launch 0 -m 100 -p block -t 4 -- "$flood" 100000
    stdout_has "(bound checked)" "team of 4"
    ;;
gcc_preload)
    # A program built by gcc -fopenmp (libgomp's GOMP_* ABI) runs on arayon through the
    # launcher's default mode, with the team size it asked for.
    launch 0 --threads 3 -- "$which_runtime_gcc" threads=3
    stdout_has "which_runtime: arayon" "team of 3"
    launch 0 --mode preload -t 2 "$which_runtime_gcc" threads=2
    stdout_has "which_runtime: arayon" "team of 2"
    ;;
gcc_alias)
    # The same through the alias directory: its libgomp.so.1 is arayon's layer.
    launch 0 --mode alias --threads 3 -- "$which_runtime_gcc" threads=3
    stdout_has "which_runtime: arayon" "libomp-alias" "team of 3"
    ;;
check_ok)
    # --check on a clang-built program: everything it imports is provided; it does not run.
    launch 0 --check "$which_runtime"
    stdout_has "every OpenMP entry point"
    ;;
gcc_check_ok)
    launch 0 --check "$which_runtime_gcc"
    stdout_has "every OpenMP entry point"
    ;;
gcc_check_missing|gcc_preload_warns)
    # A program that imports an entry point libgomp has and arayon does not (one of libgomp's
    # plugin functions): --check names it and exits 1; run under arayon-run, the layer warns
    # at start-up, naming the symbol and the runtime the call would go to.
    src=$work/missing.c
    prog=$work/missing-gcc
    printf '%s\n' '#include <omp.h>' '#include <stdio.h>' 'extern void *GOMP_PLUGIN_acc_thread(void);' \
        'int main(int argc, char **argv) { (void)argv; int n = 0;' \
        '#pragma omp parallel reduction(+:n)' 'n += 1;' \
        'printf("ran with %d\\n", n); if (argc > 5) GOMP_PLUGIN_acc_thread(); return 0; }' >"$src"
    gcc -fopenmp "$src" -o "$prog" || { fail "gcc could not build the test program"; show; exit 1; }
    if [ "$case_name" = gcc_check_missing ]; then
        launch 1 --check "$prog"
        stdout_has "GOMP_PLUGIN_acc_thread is not provided by arayon"
    else
        launch 0 --threads 2 -- "$prog"
        stdout_has "ran with 2"
        grep -q "arayon: warning: .*GOMP_PLUGIN_acc_thread, which arayon does not provide" "$err" ||
            fail "no start-up warning naming GOMP_PLUGIN_acc_thread on stderr"
    fi
    ;;
*)
    echo "launcher.sh: unknown case '$case_name'" >&2
    exit 2
    ;;
esac

if [ "$failed" -ne 0 ]; then
    show
    exit 1
fi
grep -q PROGRAM-RAN "$out" 2>/dev/null && { echo "launcher.sh $case_name: the program ran" >&2; exit 1; }
echo "launcher.sh $case_name: ok"
exit 0
