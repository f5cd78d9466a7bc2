#!/bin/sh
# link_or_stub.sh OUT COMMAND... - runs the link COMMAND, which writes the executable OUT. If the
# link fails (libarayon-omp.so lacks an entry point the program calls), OUT becomes a stub
# script that prints the linker's message and exits 1: the program's tests fail and say why, and
# the rest of the build goes on (a missing GOMP_* entry must not stop everything else from
# building). The linker's message is also shown in the build output.
set -u
out=$1
shift
log=$out.link-errors
rm -f "$out" "$log"
if "$@" >"$log" 2>&1; then
    cat "$log"
    rm -f "$log"
    exit 0
fi
echo "link_or_stub.sh: warning: $(basename "$out") could not be linked; its tests will fail with:" >&2
head -n 20 "$log" >&2
{
    echo '#!/bin/sh'
    echo "echo '$(basename "$out"): this program could not be linked (tests/compat/link_or_stub.sh):' >&2"
    echo "sed -n '1,40p' '$log' >&2"
    echo 'exit 1'
} >"$out" && chmod +x "$out"
