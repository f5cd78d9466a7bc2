# scripts/deps.sh - sourced by scripts/demo and scripts/test: makes sure the Debian packages
# the build needs are installed. As root it installs what is missing; otherwise it prints the
# exact apt-get line and exits non-zero.
# gfortran: the Fortran OpenMP tests (tests/fortran) build their programs with it.
ARAYON_PACKAGES=(cmake make gcc gfortran libc6-dev clang libhwloc-dev libomp-dev pkg-config)

arayon_missing_packages() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]}"
}

arayon_ensure_packages() {
  local missing
  missing=$(arayon_missing_packages "$@")
  [[ -z $missing ]] && return 0
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "arayon: this script installs dependencies on Debian/Ubuntu only. Install: $*" >&2
    exit 1
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "arayon: missing Debian packages: $missing" >&2
    echo "arayon: install them with:" >&2
    echo "    sudo apt-get install -y $missing" >&2
    echo "arayon: then run this command again." >&2
    exit 1
  fi
  echo "arayon: installing missing Debian packages: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || { echo "arayon: apt-get update failed" >&2; exit 1; }
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
    { echo "arayon: apt-get install $missing failed" >&2; exit 1; }
}
