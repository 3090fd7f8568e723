# shellcheck shell=bash
# deps.sh - install what the benchmarks need, from Debian 12; sourced by
# run.sh, a no-op when everything is present.  The peers (jemalloc,
# tcmalloc, CPython 3.11 to embed), callgrind, gnuplot for the plots.
BENCH_DEPS="gcc make pkg-config lua5.4 libmimalloc-dev libjemalloc-dev libgoogle-perftools-dev
  libpython3.11-dev valgrind gnuplot-nox procps"
bench_install_deps() {
  local missing=""
  for p in $BENCH_DEPS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing:$missing"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086  # a list of package names
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}
