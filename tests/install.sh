#!/usr/bin/env bash
# Install into a fresh prefix, then run there the checks the Debian
# packages' autopkgtests make: both libraries side by side, a program built
# against each through pkg-config and through the CMake package, the Lua
# modules under lua5.4 and luajit, and tsheap-gen regenerating the installed
# header byte for byte.
set -euo pipefail
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
lib=$(dirname "$(find "$tmp/prefix" -name 'libtsheap.so.0' | head -1)")
[ -e "$lib/libtsheapt.so.0" ] || { echo "libtsheapt.so.0 is not beside libtsheap.so.0"; exit 1; }
passed=1
for t in lua pkg-config cmake tsheap-gen; do
  TSHEAP_PREFIX="$tmp/prefix" sh "$(dirname "$0")/../packaging/debian/tests/$t"
  passed=$((passed + 1))
done
echo "$passed passed, 0 failed"
