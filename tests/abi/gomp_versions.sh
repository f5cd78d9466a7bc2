#!/bin/sh
# gomp_versions.sh SHIM [LIBGOMP] - every GOMP_* and omp_* symbol that the machine's libgomp
# exports (with its version node) is exported by the arayon shim under the same node, except
# the entry points listed below as not provided (each with the reason), Fortran names (a
# trailing _) included. Plugin, OpenACC and offloading entry points are outside the shim's
# scope.
# Exits 0 when nothing is missing; otherwise lists what is and exits 1.
set -u
shim=$1
gomp=${2:-}
if [ -z "$gomp" ]; then
    gomp=$(gcc -print-file-name=libgomp.so.1 2>/dev/null)
    case $gomp in /*) ;; *) gomp=$(ldconfig -p 2>/dev/null | awk '/libgomp\.so\.1 /{print $NF; exit}') ;; esac
fi
[ -f "$gomp" ] || { echo "gomp_versions.sh: no libgomp.so.1 found; nothing to compare" >&2; exit 0; }
command -v objdump >/dev/null || { echo "gomp_versions.sh: objdump (binutils) is missing" >&2; exit 1; }

# Not provided, on purpose:
#   GOMP_PLUGIN_*: the interface of libgomp's offloading plugins (the shim has no devices;
#     target regions run on the host, gomp_target.c).
skip='^(GOMP_PLUGIN.*)$'

list() {
    objdump -T "$1" | awk '$4 == ".text" || $3 == ".text" { print $(NF-1), $NF }' |
        sed 's/[()]//g' | awk '$2 ~ /^(GOMP|omp)_/ { print $2 "@" $1 }' | sort -u
}
want=$(mktemp) have=$(mktemp)
trap 'rm -f "$want" "$have"' EXIT
list "$gomp" | awk -F@ -v skip="$skip" '$1 !~ skip' >"$want"
list "$shim" >"$have"
missing=$(comm -23 "$want" "$have")
n=$(wc -l <"$want")
if [ -n "$missing" ]; then
    echo "gomp_versions.sh: $(echo "$missing" | wc -l) of $n libgomp symbols missing from $shim:" >&2
    echo "$missing" >&2
    exit 1
fi
echo "gomp_versions.sh: all $n libgomp symbol versions (of $gomp) are in $shim"

# libomp serves gcc's ABI too and exports GOMP_* under its VERSION node, so a clang-linked
# binary holding gcc-built objects asks for GOMP_*@VERSION: the shim has those as well.
libomp=$(ldconfig -p 2>/dev/null | awk '/libomp\.so\.5 /{print $NF; exit}')
if [ -n "$libomp" ] && [ -f "$libomp" ]; then
    list "$libomp" | awk -F@ -v skip="$skip" '$1 ~ /^GOMP_/ && $2 == "VERSION" && $1 !~ skip' >"$want"
    missing=$(comm -23 "$want" "$have")
    if [ -n "$missing" ]; then
        echo "gomp_versions.sh: GOMP_* symbols that $libomp exports under VERSION and $shim lacks:" >&2
        echo "$missing" >&2
        exit 1
    fi
    echo "gomp_versions.sh: all $(wc -l <"$want") GOMP_*@VERSION of $libomp are in $shim"
fi
