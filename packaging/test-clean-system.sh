#!/usr/bin/env bash
# test-clean-system.sh [SUITE [DEBS]]: the packages as a user meets them.  A
# fresh Debian (bookworm by default, or SUITE) made by debootstrap installs
# DEBS/*.deb (build/deb by default) with apt-get and runs the autopkgtests
# there; then it installs the source package's build dependencies with
# apt-get build-dep and builds the packages itself, which proves the
# Build-Depends complete.  Builds the packages first if needed.
# DEB_BUILD_OPTIONS passes on to that build (nocheck when the suite has run).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/deps.sh
tsheap_install_deps debootstrap
suite=${1:-bookworm}
debs=${2:-build/deb}
[ -n "$(ls "$debs"/*.deb 2>/dev/null)" ] || bash packaging/build-deb.sh
. packaging/fresh-debian.sh
fresh_debian "$suite" clean
mkdir -p "$root/work/debs" "$root/work/src"
cp "$debs"/*.deb "$root/work/debs/"
rm -f "$root"/work/debs/*-dbgsym_*.deb
bash packaging/copy-source.sh "$root/work/src"
cp -r packaging/debian "$root/work/src/debian"

apt_log=$root/work/apt.log
apt() { in_root "$@" >>"$apt_log" 2>&1 || { tail -20 "$apt_log"; exit 1; }; }
echo "=== apt-get install ./*.deb ==="
apt apt-get update
apt sh -c 'cd /work/debs && apt-get install -y ./*.deb'
# each autopkgtest's Depends, as autopkgtest would install them
deps=$(sed -n 's/^Depends: //p' packaging/debian/tests/control | tr ',' '\n' | sed 's/ //g' | sort -u | tr '\n' ' ')
apt apt-get install -y $deps
passed=0
for t in $(sed -n 's/^Tests: //p' packaging/debian/tests/control); do
  in_root sh -c "cd /work/src && sh debian/tests/$t"
  passed=$((passed + 1))
done

echo "=== apt-get build-dep, then build ==="
apt apt-get build-dep -y /work/src
# The chroot goes when the script ends: a failed build shows what each
# failing test printed (CTest's verbose lines start with the test's number).
build_failed() {
  local log=$root/work/build.log n
  for n in $(sed -n 's/^[[:space:]]*\([0-9][0-9]*\) - [^ ]* (.*/\1/p' "$log"); do
    echo "---- test $n printed:"
    grep "^$n: " "$log" | tail -80
  done
  tail -30 "$log"
}
in_root sh -c 'cd /work/src && dpkg-buildpackage -us -uc -b -j2 >/work/build.log 2>&1' || { build_failed; exit 1; }
ls "$root"/work/*.deb
passed=$((passed + 1))
echo "clean system ($suite): $passed passed, 0 failed"
