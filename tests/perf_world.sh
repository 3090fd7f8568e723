#!/usr/bin/env bash
# The safepoint's instructions under callgrind are deterministic, so they are
# held here: the free-threaded build's inline check is one load and one
# branch (3 instructions with its loop's share), the GIL build's a call.
set -euo pipefail
build=$1
table=$(bash "$(dirname "$0")/../bench/world.sh" "$build" instr)
echo "$table"
count() { echo "$table" | awk -F'|' -v v="$1" '{ n = $2; gsub(/^ +| +$/, "", n) } n == v { gsub(/ /, "", $3); print $3 }'; }
ft=$(count "free-threaded (inline)")
gil=$(count "GIL (a call)")
awk -v ft="$ft" -v gil="$gil" '
function held(ok, what) {
  if (ok) { pass++; print what } else { bad++; print "OVER: " what }
}
BEGIN {
  pass = 0; bad = 0
  if (ft == "" || gil == "") { print "callgrind gave no count"; exit 1 }
  held(ft <= 3.5, sprintf("free-threaded safepoint: %.2f instructions (target <= 3.5)", ft))
  held(gil <= 12, sprintf("GIL build safepoint: %.2f instructions (target <= 12)", gil))
  printf "%d passed, %d failed\n", pass, bad
  exit bad > 0
}'
