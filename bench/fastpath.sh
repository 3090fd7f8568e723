#!/usr/bin/env bash
# fastpath.sh BUILD_DIR [SIZE]: instructions per allocate+free pair under
# callgrind, from the difference of two runs (100 and 200 batches of 1000),
# so start-up cost cancels out.  Batch pattern for every build, and the
# GIL build's same-block pattern ("gil same": each block freed at once).
set -euo pipefail
build=${1:?usage: fastpath.sh BUILD_DIR [SIZE]}
size=${2:-64}
here=$(cd "$(dirname "$0")" && pwd)
guard=$(lua5.4 "$here/../codegen/tsheap-gen" --print guard "$here/../spec/tsheap.spec.lua")
inc="$build/generated/include"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -DUSE_MIMALLOC "$here/fastpath.c" -o "$tmp/mimalloc" -lmimalloc
cc -O2 -D"$guard" -I"$inc" "$here/fastpath.c" -o "$tmp/free-threaded" -L"$build" -ltsheapt -Wl,-rpath,"$build"
cc -O2 -I"$inc" "$here/fastpath.c" -o "$tmp/gil" -L"$build" -ltsheap -Wl,-rpath,"$build"
# Without the caller's VALGRIND_OPTS: -q (tests/run.sh sets it) hides the count.
count() {
  env -u VALGRIND_OPTS valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | sed -n 's/.*Collected : //p'
}
printf '| %-13s | %s |\n' "$size B pair" "instructions"
printf '| %-13s | %s |\n' "---" "---"
for row in mimalloc free-threaded gil "gil same"; do
  read -r v pattern <<<"$row"
  a=$(count "$tmp/$v" 100 "$size" "${pattern:-batch}")
  b=$(count "$tmp/$v" 200 "$size" "${pattern:-batch}")
  printf '| %-13s | %s |\n' "$row" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (b - a) / 100000 }')"
done
