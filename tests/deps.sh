# deps.sh - install what building and testing tsheap needs, from Debian 12 or
# 13 (the same names in both).
# Sourced by the README's commands; a no-op when everything is present.
TSHEAP_DEPS="cmake make gcc g++ clang libclang-rt-dev pkg-config lua5.4 liblua5.4-dev luajit libluajit-5.1-dev libmimalloc-dev swig python3-dev valgrind diffutils man-db"
tsheap_install_deps() {
  local missing=""
  for p in $TSHEAP_DEPS "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing:$missing"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}
