#!/usr/bin/env bash
# spec_name.sh SOURCE_DIR: a spec of one's own with another name or prefix
# fails at configure, with a message that says what may change; the
# generator alone takes it.
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
# CMake wraps its messages: the log is read as one line.
for change in 's/tsheap_/myrt_/g' 's/name = "tsheap",/name = "myrt",/'; do
  sed "$change" "$src/spec/tsheap.spec.lua" > "$tmp/my.spec.lua"
  cmp -s "$tmp/my.spec.lua" "$src/spec/tsheap.spec.lua" && { echo "'$change' changed nothing"; exit 1; }
  rm -rf "$tmp/build"
  if cmake -S "$src" -B "$tmp/build" -DTSHEAP_SPEC="$tmp/my.spec.lua" -DTSHEAP_TESTS=OFF \
       -DTSHEAP_BINDINGS=OFF -DTSHEAP_EXAMPLES=OFF > "$tmp/log" 2>&1; then
    echo "$change: configured, should have failed"; failed=$((failed + 1))
  elif tr -s '\n ' '  ' < "$tmp/log" | grep -q 'written against name "tsheap" and prefix "tsheap_"\. A spec of .* its name and prefix stay'; then
    passed=$((passed + 1))
  else
    echo "$change: failed without saying what may change:"; cat "$tmp/log"; failed=$((failed + 1))
  fi
done
echo "spec name and prefix: $passed passed, $failed failed"
[ "$failed" = 0 ]
