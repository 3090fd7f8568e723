#!/usr/bin/env bash
# on_debian.sh SUITE: the plain suite and the packages on another Debian
# release (run.sh's debian13 stage runs it for trixie).  A fresh SUITE made
# by debootstrap gets a copy of the tree and runs there what run.sh's plain
# and packaging stages run on this machine: `tests/run.sh plain` (its deps
# installed by deps.sh, as here), then packaging/build-deb.sh with lintian
# (nocheck: the suite has just run on the same system).  The packages then
# go through packaging/test-clean-system.sh on another fresh SUITE: apt
# install, the autopkgtests, apt-get build-dep and a build of their own.
# TSHEAP_SOAK_SECONDS: the plain soak's length there (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:?usage: on_debian.sh SUITE}
. tests/deps.sh
tsheap_install_deps debootstrap
out=$PWD/build/$suite
. packaging/fresh-debian.sh
fresh_debian "$suite" "$suite"
bash packaging/copy-source.sh "$root/work/src"
export TSHEAP_SOAK_SECONDS=${TSHEAP_SOAK_SECONDS:-10}
# git is what copy-source.sh lists the tree with, inside as here
in_root sh -c 'apt-get update -qq && apt-get install -y -qq git >/dev/null' ||
  { echo "on_debian.sh: apt-get in $suite failed"; exit 1; }
in_root sh -c 'cd /work/src && git init -q && git add -A && bash tests/run.sh plain'
in_root sh -c 'cd /work/src && DEB_BUILD_OPTIONS=nocheck bash packaging/build-deb.sh'
rm -rf "$out"
mkdir -p "$out/deb"
cp "$root"/work/src/build/deb/*.deb "$out/deb/"
cp "$root"/work/src/build/deb/lintian.log "$out/lintian.log"
unset TSHEAP_SOAK_SECONDS
DEB_BUILD_OPTIONS=nocheck bash packaging/test-clean-system.sh "$suite" "$out/deb"
echo "$suite: plain suite, packages, clean system: passed"
