#!/usr/bin/env bash
# Instruction counts of the allocation fast paths under callgrind are
# deterministic, so they are held here: the free-threaded pair within 1.05x
# of mi_heap_malloc+mi_free on a heap in hand, the GIL build's pair within
# 90 instructions, both when batched and when the same block comes back.
set -euo pipefail
build=$1
table=$(bash "$(dirname "$0")/../bench/fastpath.sh" "$build")
echo "$table"
count() { echo "$table" | awk -F'|' -v v="$1" '{ n = $2; gsub(/^ +| +$/, "", n) } n == v { gsub(/ /, "", $3); print $3 }'; }
mi=$(count mimalloc)
ft=$(count free-threaded)
gil=$(count gil)
same=$(count "gil same")
awk -v mi="$mi" -v ft="$ft" -v gil="$gil" -v same="$same" '
function held(ok, what) {
  if (ok) { pass++; print what } else { bad++; print "OVER: " what }
}
BEGIN {
  pass = 0; bad = 0
  if (!(mi > 0 && ft > 0 && gil > 0 && same > 0)) { print "callgrind gave no count"; exit 1 }
  held(ft / mi <= 1.05, sprintf("free-threaded: %.3fx mimalloc (target <= 1.05x)", ft / mi))
  held(gil <= 90, sprintf("GIL build, batch: %.1f instructions a pair (target <= 90)", gil))
  held(same <= 90, sprintf("GIL build, same block: %.1f instructions a pair (target <= 90)", same))
  printf "%d passed, %d failed\n", pass, bad
  exit bad > 0
}'
