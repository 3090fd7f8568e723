#!/usr/bin/env bash
# mimalloc_series.sh SOURCE_DIR: configuring against a mimalloc that is not a
# supported series fails, with a message naming the supported ones; the
# series tsheap has backends for configure.  Each run finds a stand-in
# mimalloc package (a config file and a mimalloc.h) through mimalloc_DIR.
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
fake_mimalloc() {  # DIR VERSION: a package whose mimalloc.h says MI_MALLOC_VERSION
  mkdir -p "$1/include"
  echo "#define MI_MALLOC_VERSION $2   // major + 2 digits minor" > "$1/include/mimalloc.h"
  cat > "$1/mimalloc-config.cmake" <<CMAKE
add_library(mimalloc INTERFACE IMPORTED)
set_target_properties(mimalloc PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "$1/include")
CMAKE
}
configure() {  # VERSION: configure the libraries alone against the stand-in
  fake_mimalloc "$tmp/mi$1" "$1"
  cmake -S "$src" -B "$tmp/build$1" -Dmimalloc_DIR="$tmp/mi$1" -DTSHEAP_TESTS=OFF \
    -DTSHEAP_BINDINGS=OFF -DTSHEAP_EXAMPLES=OFF > "$tmp/log$1" 2>&1
}
for v in 212 300 302 109; do
  if configure "$v"; then
    echo "mimalloc $v: configured, should have failed"; failed=$((failed + 1))
  elif grep -q "2.0.9 (Debian 12) and 3.0.1 (Debian 13)" "$tmp/log$v" && grep -q "'$v'" "$tmp/log$v"; then
    passed=$((passed + 1))
  else
    echo "mimalloc $v: failed without naming the supported series:"; cat "$tmp/log$v"; failed=$((failed + 1))
  fi
done
for v in 209:2 301:3; do
  if configure "${v%%:*}" && grep -q "series ${v##*:} backend" "$tmp/log${v%%:*}"; then
    passed=$((passed + 1))
  else
    echo "mimalloc ${v%%:*}: did not configure the series ${v##*:} backend:"; cat "$tmp/log${v%%:*}"; failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
