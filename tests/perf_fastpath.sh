#!/usr/bin/env bash
# Instruction counts of the allocation fast paths under callgrind are
# deterministic, so they are held here: the free-threaded pair within 1.05x
# of mi_heap_malloc+mi_free on a heap in hand, the GIL build's pair within
# 90 instructions.
set -euo pipefail
build=$1
table=$(bash "$(dirname "$0")/../bench/fastpath.sh" "$build")
echo "$table"
count() { echo "$table" | awk -F'|' -v v="$1" '$2 ~ v { gsub(/ /, "", $3); print $3 }'; }
mi=$(count " mimalloc ")
ft=$(count " free-threaded ")
gil=$(count " gil ")
awk -v mi="$mi" -v ft="$ft" -v gil="$gil" 'BEGIN {
  ok = 0; bad = 0
  r = ft / mi
  if (r <= 1.05) { ok++; printf "free-threaded: %.3fx mimalloc (target <= 1.05x)\n", r }
  else { bad++; printf "free-threaded: %.3fx mimalloc, over the 1.05x target\n", r }
  if (gil <= 90) { ok++; printf "GIL build: %.1f instructions a pair (target <= 90)\n", gil }
  else { bad++; printf "GIL build: %.1f instructions a pair, over the 90 target\n", gil }
  printf "%d passed, %d failed\n", ok, bad
  exit bad > 0
}'
