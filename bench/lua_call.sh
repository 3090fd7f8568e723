#!/usr/bin/env bash
# lua_call.sh BUILD_DIR: a block allocated and freed from Lua,
#   local b = t.malloc("raw", 64); b:free()
# through the tsheap module against the hand-written lua_handwritten.c, both
# builds, under lua5.4 and luajit; prints a Markdown table.
#   ns: CPU time per pair, median of LUA_CALL_REPS (9) repetitions of
#       LUA_CALL_N (1000000) pairs; a repetition is one process that runs
#       both modules, one after the other, the first one alternating;
#   instructions: callgrind, the difference between runs of 20000 and 70000
#       pairs over the 50000 between them, so start-up cancels out.
# Both count the whole loop: the Lua code, the calls, and the collection
# (and __gc) of the block objects.
set -euo pipefail
build=$(cd "${1:?usage: lua_call.sh BUILD_DIR}" && pwd)
n=${LUA_CALL_N:-1000000}
reps=${LUA_CALL_REPS:-9}
here=$(cd "$(dirname "$0")" && pwd)
guard=$(lua5.4 "$here/../codegen/tsheap-gen" --print guard "$here/../spec/tsheap.spec.lua")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the hand-written module, per Lua ABI and per build, against the build
# tree's libraries (the ones the tsheap module loads, so they share states)
for abi in lua54 luajit; do
  pc=$abi
  [ "$abi" = lua54 ] && pc=lua5.4
  mkdir -p "$tmp/$abi"
  read -ra luaflags <<<"$(pkg-config --cflags "$pc")"
  cflags=(-O2 -g -fPIC -shared -fvisibility=hidden -std=gnu11 "${luaflags[@]}"
          -I"$build/generated/include" "$here/lua_handwritten.c" "-Wl,-rpath,$build" -L"$build")
  cc "${cflags[@]}" -D"$guard" -DHW_OPEN=luaopen_hw -o "$tmp/$abi/hw.so" -ltsheapt -lm
  cc "${cflags[@]}" -DHW_OPEN=luaopen_hw_gil -o "$tmp/$abi/hw_gil.so" -ltsheap -lm
done

count() {  # interp abi build which pairs
  LUA_CPATH="$build/bindings/lua/$2/?.so;$tmp/$2/?.so" \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$1" "$here/lua_call.lua" loop "$3" "$4" "$5" 2>&1 | sed -n 's/.*Collected : //p'
}
per_pair() {  # interp abi build which
  local a b
  a=$(count "$@" 20000)
  b=$(count "$@" 70000)
  awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f", (b - a) / 50000 }'
}

echo "| interpreter | build | module ns | hand-written ns | ratio (range) | module instructions | hand-written instructions | ratio |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for interp in lua5.4 luajit; do
  abi=lua54
  [ "$interp" = luajit ] && abi=luajit
  for rep in $(seq 1 "$reps"); do
    LUA_CPATH="$build/bindings/lua/$abi/?.so;$tmp/$abi/?.so" "$interp" "$here/lua_call.lua" time "$n" "$rep"
  done | lua5.4 "$here/lua_call.lua" summary >"$tmp/time"
  while IFS=$'\t' read -r b mod hw ratio lo hi; do
    im=$(per_pair "$interp" "$abi" "$b" module)
    ih=$(per_pair "$interp" "$abi" "$b" hw)
    ir=$(awk -v a="$im" -v b="$ih" 'BEGIN { printf "%.2f", a / b }')
    echo "| $interp | $b | $mod | $hw | ${ratio}x ($lo-$hi) | $im | $ih | ${ir}x |"
  done <"$tmp/time"
done
