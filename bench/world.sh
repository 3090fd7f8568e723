#!/usr/bin/env bash
# world.sh BUILD_DIR [REPS|instr]: what stopping the world costs, side by side.
#  - a stop+start round trip with 1, 2 and 4 attached threads spinning on
#    safepoints, against the same stop made of a flag and two pthread
#    barriers (world.c says how); the median of REPS runs of 2000 round trips
#  - the safepoint's instructions under callgrind: the difference between a
#    loop with it and the bare loop, over 1e6 calls
# Prints markdown tables; needs a quiet machine for the times.  "instr" for
# the instruction counts alone (tests/perf_world.sh holds them).
set -euo pipefail
build=${1:?usage: world.sh BUILD_DIR [REPS]}
reps=${2:-5}
only_instr=0
[ "$reps" = instr ] && only_instr=1
here=$(cd "$(dirname "$0")" && pwd)
guard=$(lua5.4 "$here/../codegen/tsheap-gen" --print guard "$here/../spec/tsheap.spec.lua")
inc="$build/generated/include"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -D"$guard" -I"$inc" "$here/world.c" -o "$tmp/ft" -L"$build" -ltsheapt -Wl,-rpath,"$build" -pthread
cc -O2 -I"$inc" "$here/world.c" -o "$tmp/gil" -L"$build" -ltsheap -Wl,-rpath,"$build" -pthread

# median of the REPS runs' medians: stop|barrier BINARY THREADS
median_of_runs() {
  for _ in $(seq "$reps"); do "$2" "$1" "$3" 2000 | awk -F'\t' '$4 == "median ns" { print $5 }'; done |
    sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
if [ "$only_instr" = 0 ]; then
echo "| threads | pthread barrier | tsheap-ft stop | ratio | tsheap-gil stop | ratio |"
echo "| --- | --- | --- | --- | --- | --- |"
for n in 1 2 4; do
  b=$(median_of_runs barrier "$tmp/ft" "$n")
  f=$(median_of_runs stop "$tmp/ft" "$n")
  g=$(median_of_runs stop "$tmp/gil" "$n")
  awk -v n="$n" -v b="$b" -v f="$f" -v g="$g" \
    'BEGIN { printf "| %d | %.0f ns | %.0f ns | %.2fx | %.0f ns | %.2fx |\n", n, b, f, f / b, g, g / b }'
done
echo
fi

count() {
  env -u VALGRIND_OPTS valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | sed -n 's/.*Collected : //p'
}
echo "| safepoint | instructions a call |"
echo "| --- | --- |"
for v in ft gil; do
  with=$(count "$tmp/$v" safepoint 1000000)
  bare=$(count "$tmp/$v" safepoint 1000000 none)
  awk -v v="$v" -v a="$with" -v b="$bare" 'BEGIN { printf "| %s | %.2f |\n", v == "ft" ? "free-threaded (inline)" : "GIL (a call)", (a - b) / 1e6 }'
done
