#!/usr/bin/env bash
# Each Lua module exports its luaopen function and nothing else, and does not
# link liblua (the interpreter provides it), for both builds and both ABIs.
set -euo pipefail
dir=$1
passed=0
for abi in lua54 luajit; do
  for pair in "tsheap.so:luaopen_tsheap" "tsheap/gil.so:luaopen_tsheap_gil"; do
    so=$dir/$abi/${pair%%:*}
    want=${pair##*:}
    exports=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^_' | sort | tr '\n' ' ')
    [ "$exports" = "$want " ] || { echo "$so exports: $exports (want $want)"; exit 1; }
    if readelf -d "$so" | grep NEEDED | grep -qi 'lua'; then
      echo "$so links a Lua library:"; readelf -d "$so" | grep NEEDED; exit 1
    fi
    passed=$((passed + 1))
  done
done
echo "$passed passed, 0 failed"
