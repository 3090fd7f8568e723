#!/usr/bin/env bash
# build-deb.sh: the Debian source package and its five binary packages, from
# a copy of the tree with packaging/debian as debian/, then lintian on them.
# The packages land in build/deb/.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/deps.sh
tsheap_install_deps debhelper dpkg-dev fakeroot lintian
version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
out=$PWD/build/deb
rm -rf "$out"
mkdir -p "$out/tsheap-$version"
bash packaging/copy-source.sh "$out/tsheap-$version"
cp -r packaging/debian "$out/tsheap-$version/debian"
(cd "$out/tsheap-$version" && dpkg-buildpackage -us -uc -j"$(nproc)" >"$out/build.log" 2>&1) || {
  tail -40 "$out/build.log"
  exit 1
}
lintian --fail-on error,warning --suppress-tags-from-file packaging/debian/lintian-accepted \
  "$out"/tsheap_"$version"_*.changes | tee "$out/lintian.log"
# a symbol that disappears fails the build: check the check on one that did
# (released before this version: dpkg treats a symbol of this version as new)
(cd "$out/tsheap-$version" &&
  cp debian/libtsheap0.symbols "$out/gone.symbols" &&
  echo " tsheap_gone@TSHEAP_0 0.0.1" >>"$out/gone.symbols" &&
  cp -a debian/libtsheap0 "$out/gone" &&
  if dpkg-gensymbols -plibtsheap0 -P"$out/gone" -c4 -I"$out/gone.symbols" >/dev/null 2>&1; then
    echo "dpkg-gensymbols accepted a symbol that disappeared"; exit 1
  fi)
rm -rf "$out/gone" "$out/gone.symbols"
ls "$out"/*.deb
