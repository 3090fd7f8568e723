#!/usr/bin/env bash
# A block allocated and freed from Lua through the tsheap module, against a
# hand-written Lua C module doing the same (bench/lua_call.sh): within 1.5x
# the instructions, both builds, under lua5.4 and luajit.  Instruction
# counts hold steady where times do not; Lua's string-hash seed moves them
# by 1-2%.  A count that is missing fails.
set -euo pipefail
build=$1
export VALGRIND_OPTS=   # tests/run.sh's -q hides callgrind's count
lines=$(bash "$(dirname "$0")/../bench/lua_call.sh" "$build" instr)
echo "$lines"
awk -F'\t' '
$1 == "lua_call" { v[$3, $2] = $5 }
function held(ok, what) {
  if (ok) { pass++; print what } else { bad++; print "OVER: " what }
}
END {
  pass = 0; bad = 0
  n = split("lua5.4/tsheap-ft lua5.4/tsheap-gil luajit/tsheap-ft luajit/tsheap-gil", configs, " ")
  for (i = 1; i <= n; i++) {
    c = "instr/" configs[i]; m = v[c, "module"]; h = v[c, "hand-written"]
    if (!(m > 0 && h > 0)) { bad++; print "NO COUNT: " configs[i]; continue }
    held(m / h <= 1.5, sprintf("%s: %.2fx the hand-written module (target <= 1.5x)", configs[i], m / h))
  }
  printf "%d passed, %d failed\n", pass, bad
  exit bad > 0
}' <<<"$lines"
