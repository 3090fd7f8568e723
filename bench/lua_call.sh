#!/usr/bin/env bash
# lua_call.sh BUILD_DIR [build | time REP | instr]: a block allocated and
# freed from Lua,
#   local b = t.malloc("raw", 64); b:free()
# through the tsheap module against the hand-written lua_handwritten.c, both
# builds, under lua5.4 and luajit.
#   ns: CPU time per pair, median of LUA_CALL_REPS (9) repetitions of
#       LUA_CALL_N (1000000) pairs; a repetition is one process per
#       interpreter that runs both modules, one after the other, the first
#       one alternating;
#   instructions: callgrind, the difference between runs of the two lengths
#       in LUA_CALL_CG ("20000 70000") over the pairs between them, so
#       start-up cancels out.
# Both count the whole loop: the Lua code, the calls, and the collection
# (and __gc) of the block objects.
# Without a mode it prints a Markdown table.  The modes are the pieces that
# run.sh calls, and print raw.tsv lines without the repetition (the format
# of bench/clock.h's report()):
#   build      build the hand-written modules into LUA_CALL_HW
#   time REP   one repetition, both interpreters
#   instr      the instruction counts, configurations prefixed instr/
# LUA_CALL_HW: where the hand-written modules are (built there if missing);
# by default a temporary directory, built anew.
set -euo pipefail
build=$(cd "${1:?usage: lua_call.sh BUILD_DIR [build | time REP | instr]}" && pwd)
mode=${2:-table}
n=${LUA_CALL_N:-1000000}
reps=${LUA_CALL_REPS:-9}
read -r cg_short cg_long <<<"${LUA_CALL_CG:-20000 70000}"
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hw=${LUA_CALL_HW:-$tmp/hw}

# the hand-written module, per Lua ABI and per build, against the build
# tree's libraries (the ones the tsheap module loads, so they share states)
build_hw() {
  local guard abi pc luaflags cflags
  guard=$(lua5.4 "$here/../codegen/tsheap-gen" --print guard "$here/../spec/tsheap.spec.lua")
  for abi in lua54 luajit; do
    pc=$abi
    [ "$abi" = lua54 ] && pc=lua5.4
    mkdir -p "$hw/$abi"
    read -ra luaflags <<<"$(pkg-config --cflags "$pc")"
    cflags=(-O2 -g -fPIC -shared -fvisibility=hidden -std=gnu11 "${luaflags[@]}"
            -I"$build/generated/include" "$here/lua_handwritten.c" "-Wl,-rpath,$build" -L"$build")
    cc "${cflags[@]}" -D"$guard" -DHW_OPEN=luaopen_hw -o "$hw/$abi/hw.so" -ltsheapt -lm
    cc "${cflags[@]}" -DHW_OPEN=luaopen_hw_gil -o "$hw/$abi/hw_gil.so" -ltsheap -lm
  done
}
if [ "$mode" = build ] || [ ! -e "$hw/luajit/hw_gil.so" ]; then build_hw; fi
[ "$mode" = build ] && exit 0

abi_of() { if [ "$1" = luajit ]; then echo luajit; else echo lua54; fi; }
cpath() { echo "$build/bindings/lua/$1/?.so;$hw/$1/?.so"; }

# One repetition: lines of lua_call, module|hand-written, INTERP/BUILD, ns.
time_rep() {
  local interp
  for interp in lua5.4 luajit; do
    LUA_CPATH=$(cpath "$(abi_of "$interp")") "$interp" "$here/lua_call.lua" time "$n" "$1"
  done
}

# A count that is missing (the loop failed, or callgrind printed none) stops
# the script: the caller must not take a partial table for a whole one.
# Without the caller's VALGRIND_OPTS: -q (tests/run.sh sets it) hides the count.
count() {  # interp build which pairs
  local out c
  out=$(LUA_CPATH=$(cpath "$(abi_of "$1")") env -u VALGRIND_OPTS valgrind --tool=callgrind \
        --callgrind-out-file=/dev/null "$1" "$here/lua_call.lua" loop "$2" "$3" "$4" 2>&1) ||
    { echo "lua_call.sh: $1 loop $2 $3 $4 failed:" >&2; echo "$out" >&2; return 1; }
  c=$(sed -n 's/.*Collected : //p' <<<"$out")
  [ -n "$c" ] || { echo "lua_call.sh: no count from callgrind for $1 $2 $3" >&2; return 1; }
  echo "$c"
}
instr() {
  local interp b which a z
  for interp in lua5.4 luajit; do
    for b in ft gil; do
      for which in module hw; do
        a=$(count "$interp" "$b" "$which" "$cg_short")
        z=$(count "$interp" "$b" "$which" "$cg_long")
        awk -v a="$a" -v z="$z" -v n=$((cg_long - cg_short)) -v p="$which" -v c="instr/$interp/tsheap-$b" \
          'BEGIN { printf "lua_call\t%s\t%s\tinstr\t%.2f\n", p == "hw" ? "hand-written" : "module", c, (z - a) / n }'
      done
    done
  done
}

case $mode in
  time) time_rep "${3:?usage: lua_call.sh BUILD_DIR time REP}" ;;
  instr) instr ;;
  table)
    {
      for rep in $(seq 1 "$reps"); do time_rep "$rep" | sed "s/^/$rep\t/"; done
      instr | sed "s/^/1\t/"
    } >"$tmp/raw"
    lua5.4 "$here/lua_call.lua" summary <"$tmp/raw"
    ;;
  *) echo "usage: lua_call.sh BUILD_DIR [build | time REP | instr]" >&2; exit 2 ;;
esac
