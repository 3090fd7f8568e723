#!/usr/bin/env bash
# run.sh [BUILD_DIR] [SECONDS] - build and run tsheap's fuzzers (see README.md here).
#
#   1. builds fuzz_api for both builds into BUILD_DIR/fuzz (default build/fuzz),
#      configuring BUILD_DIR first when it has no generated header;
#   2. replays every input under tests/fuzz/regressions/api/ on both binaries;
#   3. runs each fuzz_api binary for SECONDS (default 60) over a copy of
#      tests/fuzz/corpus/api/ (the repository is never written);
#   4. runs the tsheap-gen fuzzer (fuzz_gen.py) with its default iterations,
#      after replaying tests/fuzz/regressions/gen/.
# Prints what each did and ends with "N passed, N failed"; exits 1 on any failure.
# Installs the build's dependencies (tests/deps.sh: clang and libclang-rt-dev among them) when missing.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
build_dir=${1:-build}
seconds=${2:-60}
case $seconds in '' | *[!0-9]*) echo "usage: $0 [BUILD_DIR] [SECONDS]" >&2; exit 2 ;; esac
case $build_dir in /*) ;; *) build_dir=$root/$build_dir ;; esac
out=$build_dir/fuzz
start=$(date +%s)

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# ---- dependencies: the project's (clang and its fuzzer runtime among them) ----
. tests/deps.sh
tsheap_install_deps python3 || { echo "run.sh: could not install the dependencies" >&2; exit 1; }
cc=clang
command -v clang >/dev/null || cc=clang-14

# ---- the generated sources ----
gen=$build_dir/generated
if [ ! -f "$gen/include/tsheap/tsheap.h" ] || [ ! -f "$build_dir/core-sources.txt" ]; then
  echo "=== configuring $build_dir (no generated header yet)"
  cmake -S "$root" -B "$build_dir" >/dev/null ||
    { echo "run.sh: configuring $build_dir failed" >&2; exit 1; }
  # only the generated header and stubs are needed here
  cmake --build "$build_dir" --target tsheap_generated >/dev/null ||
    { echo "run.sh: generating into $build_dir failed" >&2; exit 1; }
fi

# ---- build the two fuzz_api binaries ----
echo "=== building fuzz_api into $out"
mkdir -p "$out"
sources() { sed -n "s/^$1 //p" "$build_dir/core-sources.txt"; }   # what CMake builds each library from
read -r -a common <<< "$(sources common_sources)"
read -r -a ft <<< "$(sources ft_sources)"
read -r -a gil <<< "$(sources gil_sources)"
include_flags() { local d; for d in $(sources "$1"); do printf -- '-I%s\n' "$d"; done; }
mapfile -t ft_includes < <(include_flags ft_includes)
mapfile -t gil_includes < <(include_flags gil_includes)
cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
        -D_GNU_SOURCE -std=gnu11 -Wall -Wextra -Icore -I"$gen/include" -I"$gen/core")
$cc "${cflags[@]}" "${ft_includes[@]}" -DTSHEAP_GIL_DISABLED tests/fuzz/fuzz_api.c "${common[@]}" "${ft[@]}" \
  -lmimalloc -lpthread -o "$out/fuzz_api_ft" > "$out/build_ft.log" 2>&1 &
pid_ft=$!
# the GIL build checked: an allocation call made without the GIL aborts
$cc "${cflags[@]}" "${gil_includes[@]}" -DTSHEAP_CHECKED -DTSHEAP_SMALL_INSPECT tests/fuzz/fuzz_api.c "${common[@]}" "${gil[@]}" \
  -lmimalloc -lpthread -o "$out/fuzz_api_gil" > "$out/build_gil.log" 2>&1
rc_gil=$?
wait $pid_ft
rc_ft=$?
for b in ft gil; do
  rc=$rc_ft; [ $b = gil ] && rc=$rc_gil
  if [ "$rc" = 0 ] && ! grep -q warning "$out/build_$b.log"; then
    pass
  else
    fail "building fuzz_api_$b:"; sed 's/^/    /' "$out/build_$b.log" | head -40
  fi
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# ---- regression inputs: every check on, both builds ----
if [ -d tests/fuzz/regressions/api ] && [ -n "$(ls -A tests/fuzz/regressions/api 2>/dev/null)" ]; then
  echo "=== replaying tests/fuzz/regressions/api"
  for f in tests/fuzz/regressions/api/*; do
    for b in ft gil; do
      [ -x "$out/fuzz_api_$b" ] || continue
      log=$out/replay-$b-$(basename "$f").log
      if "$out/fuzz_api_$b" -runs=1 "$f" > "$log" 2>&1; then
        pass
        echo "  ok   $b $(basename "$f")"
      else
        fail "replay $b $(basename "$f"):"
        { grep -A1 "MISMATCH" "$log"; grep "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$log"; } |
          head -4 | sed 's/^/    /'
      fi
    done
  done
fi

# ---- the campaigns ----
work=$(mktemp -d "${TMPDIR:-/tmp}/tsheap-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
for b in ft gil; do
  bin=$out/fuzz_api_$b
  [ -x "$bin" ] || { fail "fuzz_api_$b: not built"; continue; }
  echo "=== fuzz_api_$b: $seconds s"
  corpus=$work/corpus-$b
  mkdir -p "$corpus" "$out/artifacts"
  cp tests/fuzz/corpus/api/* "$corpus"/ 2>/dev/null
  seeds=$(ls "$corpus" | wc -l)
  log=$out/fuzz_api_$b.log
  rm -f "$out/artifacts/$b-"*
  "$bin" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$b-" "$corpus" > "$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  final=$(ls "$corpus" | wc -l)
  crashes=$(ls "$out/artifacts/$b-"* 2>/dev/null | wc -l)
  echo "  executions run: ${runs:-0} (${rate:-?}/s); inputs tried: ${runs:-0}, corpus $seeds seeds -> $final inputs; crashes found: $crashes"
  if [ "$rc" = 0 ] && [ "$crashes" = 0 ]; then
    pass
  else
    fail "fuzz_api_$b (exit $rc), log $log"
    { grep -A1 "MISMATCH" "$log"; grep "ERROR: \|runtime error\|SUMMARY" "$log"; } | head -8 | sed 's/^/    /'
    for a in "$out/artifacts/$b-"*; do
      [ -e "$a" ] || continue
      echo "    input saved as $a"
      echo "    replay: TSHEAP_FUZZ_TRACE=1 $bin $a"
      echo "    keep it: cp $a tests/fuzz/regressions/api/<bug-id>.bin"
    done
  fi
done

# ---- tsheap-gen ----
echo "=== fuzz_gen (tsheap-gen)"
glog=$out/fuzz_gen.log
python3 tests/fuzz/fuzz_gen.py --fast-include "$gen/include" --save "$out/gen-failures" > "$glog" 2>&1
grc=$?
grep "^FAIL\|^gen:" "$glog" | cut -c1-220 | sed "s/^/  /" | head -40
gp=$(sed -n 's/^gen-result: .*replays_passed=\([0-9]*\).*/\1/p' "$glog")
gf=$(sed -n 's/^gen-result: .*replays_failed=\([0-9]*\).*/\1/p' "$glog")
gn=$(sed -n 's/^gen-result: .*new_failures=\([0-9]*\).*/\1/p' "$glog")
passed=$((passed + ${gp:-0}))
[ "${gf:-0}" -gt 0 ] && { failed=$((failed + gf)); echo "FAIL: $gf tsheap-gen regression spec(s) still fail"; }
if [ "$grc" = 0 ] && [ "${gn:-1}" = 0 ]; then
  pass
elif [ -n "$gn" ] && [ "$gn" -gt 0 ]; then
  fail "fuzz_gen found $gn new failure(s); specs under $out/gen-failures, log $glog"
elif [ "$grc" != 0 ] && [ "${gf:-0}" = 0 ]; then
  fail "fuzz_gen exit $grc, log $glog"; tail -5 "$glog" | sed 's/^/    /'
else
  pass
fi

echo "=== total runtime $(( $(date +%s) - start )) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
