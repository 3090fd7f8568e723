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
mirror=${TSHEAP_MIRROR:-http://deb.debian.org/debian}
out=$PWD/build/$suite
root=$(mktemp -d /var/tmp/tsheap-$suite.XXXXXX)
chmod 755 "$root"
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT
echo "=== debootstrap $suite ==="
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 || { tail -20 "$root.log"; exit 1; }
rm -f "$root.log"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
bash packaging/copy-source.sh "$root/work/src"
in_root() {
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive \
    TSHEAP_SOAK_SECONDS="${TSHEAP_SOAK_SECONDS:-10}" "$@"
}
# git is what copy-source.sh lists the tree with, inside as here
in_root sh -c 'apt-get update -qq && apt-get install -y -qq git >/dev/null' ||
  { echo "on_debian.sh: apt-get in $suite failed"; exit 1; }
in_root sh -c 'cd /work/src && git init -q && git add -A && bash tests/run.sh plain'
in_root sh -c 'cd /work/src && DEB_BUILD_OPTIONS=nocheck bash packaging/build-deb.sh'
rm -rf "$out"
mkdir -p "$out/deb"
cp "$root"/work/src/build/deb/*.deb "$out/deb/"
cp "$root"/work/src/build/deb/lintian.log "$out/lintian.log"
DEB_BUILD_OPTIONS=nocheck bash packaging/test-clean-system.sh "$suite" "$out/deb"
echo "$suite: plain suite, packages, clean system: passed"
