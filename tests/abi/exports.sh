#!/bin/sh
# exports.sh SHIM [LIBOMP] [LIBGOMP] - every symbol that the machine's libomp.so.5 and
# libgomp.so.1 define (nm -D --defined-only, names without their version) is defined by the
# arayon shim too, except those on the exception lists below. Each list is a group with the
# reason it is excepted; the first list whose pattern (an extended regular expression matched
# against the whole name) fits a symbol is its group.
# Exits 0 when nothing else is missing; otherwise lists what is missing, by library, and exits
# 1. Also prints the symbols of the lists of names to be emptied (prunable, none now) that the
# shim defines by now: their entries can go.
# (Symbol versions are compat.gomp_versions' business: tests/abi/gomp_versions.sh.)
set -u
shim=$1
libomp=${2:-}
libgomp=${3:-}

# The libraries: as arguments, else where the compilers' drivers find them, else ldconfig's.
# from_ldconfig NAME: the path ldconfig knows for NAME, or nothing.
from_ldconfig() {
    ldconfig -p 2>/dev/null | awk -v n="$1" '$1 == n { print $NF; exit }'
}
if [ -z "$libomp" ]; then
    libomp=$(clang -print-file-name=libomp.so.5 2>/dev/null)
    case $libomp in /*) ;; *) libomp=$(from_ldconfig libomp.so.5) ;; esac
fi
if [ -z "$libgomp" ]; then
    libgomp=$(gcc -print-file-name=libgomp.so.1 2>/dev/null)
    case $libgomp in /*) ;; *) libgomp=$(from_ldconfig libgomp.so.1) ;; esac
fi
[ -f "$shim" ] || { echo "exports.sh: no shim at $shim" >&2; exit 1; }
command -v nm >/dev/null || { echo "exports.sh: nm (binutils) is missing" >&2; exit 1; }

# The exception lists: "group<TAB>pattern" lines, the groups in the order they are tried.
exceptions=$(mktemp) have=$(mktemp) want=$(mktemp) report=$(mktemp)
trap 'rm -f "$exceptions" "$have" "$want" "$report"' EXIT
tab=$(printf '\t')
sed -e '/^#/d' -e '/^$/d' -e "s/  */$tab/" >"$exceptions" <<'EOF'
# internal: libomp's own internals, which its export list makes visible but which are no
# part of the OpenMP ABI (no compiler emits calls to them, no program is meant to): the
# __kmp_* / ___kmp_* functions and data (thread pool, its locks and waits, its microtask
# trampoline, ITT notify set-up), its debug and diagnostic variables, OMPT's table of its lock
# kinds, its threadprivate bookkeeping, and the two marker symbols meant to make a static
# link with two OpenMP runtimes fail.
internal  __kmp_.*
internal  ___kmp_.*
internal  kmp_[a-f]_debug
internal  kmp_diag
internal  kmp_mutex_impl_info
internal  kmp_threadprivate_insert(_private_data)?
internal  _You_must_link_with_(Intel_OpenMP_library|exactly_one_OpenMP_library)
# (__kmpc_invoke_task_func: the body libomp's worker threads run when a fork hands them the
# microtask; named __kmpc_ but called only from inside libomp.)
internal  __kmpc_invoke_task_func
# tools: ompt_start_tool is a tool's entry point; a runtime defines only a weak default for
# tools to override. arayon has no OMPT interface (and defining it would make the shim look
# like a tool).
tools  ompt_start_tool
# versions: nm lists the version nodes (VERSION, OMP_1.0, GOMP_4.0, ...) as absolute
# symbols; which nodes the shim needs is compat.gomp_versions' check.
versions  VERSION
versions  (OMP|GOMP|GOMP_PLUGIN|GOACC|OACC)_[0-9.]+
# openacc: libgomp's OpenACC runtime (acc_* API, GOACC_* compiler entry points), out of
# scope: arayon is an OpenMP runtime.
openacc  acc_.*
openacc  GOACC_.*
# plugin: the interface of libgomp's offloading plugins; the shim has no devices (target
# regions run on the host, compat/gomp_target.c).
plugin  GOMP_PLUGIN_.*
# issue19: not yet provided (issue 19): the
# kmp_*/kmpc_* extension API (and its Fortran forms), ompc_*, the interop routines.
issue19  kmpc?_[a-z0-9_]+
issue19  ompc_[a-z0-9_]+
issue19  omp_get_interop_[a-z_]+
issue19  omp_get_num_interop_properties_?
EOF

names() {
    nm -D --defined-only "$1" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u
}
names "$shim" >"$have"

# The groups that list names to be implemented (emptied as the work lands).
prunable=""

# classify FILE: the symbols of FILE the shim lacks, each as "group<TAB>name" (group
# "missing" when no list has it), and those of a prunable group that the shim defines as
# "provided<TAB>group<TAB>name".
classify() {
    names "$1" >"$want"
    awk -F "$tab" -v have="$have" -v prunable=" $prunable " '
        BEGIN { while ((getline s < have) > 0) defined[s] = 1 }
        FILENAME == ARGV[1] { grp[++n] = $1; pat[n] = "^(" $2 ")$"; next }
        {
            g = "missing"
            for (i = 1; i <= n; i++)
                if ($0 ~ pat[i]) { g = grp[i]; break }
            if (!($0 in defined)) print g "\t" $0
            else if (index(prunable, " " g " ")) print "provided\t" g "\t" $0
        }
    ' "$exceptions" "$want"
}

status=0
compared=0
for lib in libomp libgomp; do
    eval "file=\$$lib"
    if [ -z "$file" ] || [ ! -f "$file" ]; then
        echo "exports.sh: no $lib found; not compared"
        continue
    fi
    compared=1
    classify "$file" >"$report"
    total=$(wc -l <"$want")
    missing=$(awk -F "$tab" '$1 == "missing" { print $2 }' "$report")
    excepted=$(awk -F "$tab" '$1 != "missing" && $1 != "provided" { c[$1]++ }
        END { for (g in c) printf "%s%s %d", (s++ ? ", " : ""), g, c[g] }' "$report")
    nmissing=$(awk -F "$tab" '$1 == "missing"' "$report" | wc -l)
    echo "exports.sh: $lib ($file): $total symbols;" \
        "excepted: ${excepted:-none}; missing: $nmissing"
    provided=$(awk -F "$tab" '$1 == "provided" { print "  " $3 " (" $2 ")" }' "$report")
    if [ -n "$provided" ]; then
        echo "exports.sh: listed as to be implemented, but the shim defines them" \
            "(their entries can go):"
        echo "$provided"
    fi
    if [ -n "$missing" ]; then
        echo "exports.sh: $nmissing symbols of $lib missing from $shim" \
            "and on no exception list:" >&2
        echo "$missing" | sed 's/^/  /' >&2
        status=1
    fi
done
[ "$compared" = 1 ] || echo "exports.sh: no libomp.so.5 nor libgomp.so.1 found; nothing compared"
exit $status
