#!/usr/bin/env bash
# build-rpm.sh: rpmbuild on packaging/tsheap.spec, here on Debian 12 (its
# dependencies from Debian, hence --nodeps); the spec's file lists must match
# what the install writes, or rpmbuild fails.  RPMs land in build/rpm/RPMS.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/deps.sh
tsheap_install_deps rpm
version=$(sed -n 's/^Version: *//p' packaging/tsheap.spec)
top=$PWD/build/rpm
rm -rf "$top"
mkdir -p "$top/SOURCES" "$top/stage/tsheap-$version"
bash packaging/copy-source.sh "$top/stage/tsheap-$version"
tar -czf "$top/SOURCES/tsheap-$version.tar.gz" -C "$top/stage" "tsheap-$version"
rpmbuild --define "_topdir $top" --nodeps -bb packaging/tsheap.spec >"$top/build.log" 2>&1 ||
  { tail -30 "$top/build.log"; exit 1; }
find "$top/RPMS" -name '*.rpm' | sort
for rpm in "$top"/RPMS/*/*.rpm; do
  echo "== $(basename "$rpm")"
  rpm -qlp "$rpm" 2>/dev/null | grep -v '/\.build-id' | sed 's/^/  /'
done
