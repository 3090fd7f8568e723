#!/usr/bin/env bash
# run.sh [BUILD_DIR]: the whole benchmark suite, every peer side by side.
# Installs what it needs, builds BUILD_DIR (default: build/ at the top of the
# tree) if it has no libraries yet, builds the harness once per peer, runs
# each workload BENCH_REPS times (default 5) with the peers interleaved in
# every repetition, then writes bench/results/report.md (medians, ratios,
# targets) and bench/results/*.svg.  BENCH_QUICK=1 runs everything tiny,
# once, into bench/results/quick/: a smoke test, not a measurement.  Each
# repetition first waits up to BENCH_QUIET_WAIT seconds (30; 0 when quick)
# for a quiet machine.  BENCH_COMMIT: the commit the report names (default:
# the tree's; bench/on_debian.sh passes it into a fresh Debian).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-$root/build}
quick=${BENCH_QUICK:-0}
if [[ $quick == 1 ]]; then reps=${BENCH_REPS:-1}; else reps=${BENCH_REPS:-5}; fi
if [[ $quick == 1 ]]; then quiet_wait=${BENCH_QUIET_WAIT:-0}; else quiet_wait=${BENCH_QUIET_WAIT:-30}; fi
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_REPS must be a positive integer" >&2; exit 2; }
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# The machine may be shared (builds, CI).  CPU time of the whole machine in
# clock ticks, busy (not idle, iowait or stolen by the hypervisor), less what
# this script and its children used, is what other processes took.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }
idle_ticks() { awk '/^cpu / { print $5 + $6; exit }' /proc/stat; }
own_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$$/stat"; }
# others_pct BUSY0 OWN0 SECONDS0: percent of one core others used since then
others_pct() {
  awk -v b=$(($(busy_ticks) - $1)) -v o=$(($(own_ticks) - $2)) -v hz="$(getconf CLK_TCK)" -v s=$((SECONDS - $3)) \
    'BEGIN { t = (b - o) / hz; if (t < 0) t = 0; printf "%.0f", 100 * t / (s > 0 ? s : 1) }'
}
# Wait up to BENCH_QUIET_WAIT seconds (default 30) for a second in which
# the machine is under 10% busy, so that a repetition starts on a quiet one.
wait_quiet() {
  local until=$((SECONDS + quiet_wait)) b0 i0 b1 i1
  while ((SECONDS < until)); do
    b0=$(busy_ticks) i0=$(idle_ticks)
    sleep 1
    b1=$(busy_ticks) i1=$(idle_ticks)
    ((10 * (b1 - b0) < (b1 - b0) + (i1 - i0))) && return 0
  done
  echo "   (the machine is still busy after ${quiet_wait} s: going on)"
}

# shellcheck source=bench/deps.sh
source "$here/deps.sh"
bench_install_deps
# built every time (make does only what changed): a library older than the
# tree would be measured without a word
echo "== building tsheap in $build"
[[ -e $build/CMakeCache.txt ]] || cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j2 >/dev/null
build=$(cd "$build" && pwd)
bin=$build/bench-harness    # build output: outside the source tree
echo "== building the harness against $build"
bash "$here/build.sh" "$build" "$bin"

# Sizes of each workload: full, or tiny for BENCH_QUICK=1.
if [[ $quick == 1 ]]; then
  pairs=20000 thread_rounds=20 xfree=20000 churn=50 teardown=10000 mem_blocks=2000 mem_rounds=2
  depth=8 cg_short=2 cg_long=4 lua_call_n=20000 lua_call_cg="2000 7000"
else
  pairs=5000000 thread_rounds=40000 xfree=10000000 churn=2000 teardown=1000000 mem_blocks=100000 mem_rounds=20
  depth=16 cg_short=100 cg_long=200 lua_call_n=1000000 lua_call_cg="20000 70000"
fi
peers="glibc mimalloc mi_heap jemalloc tcmalloc pymalloc tsheap-ft tsheap-gil"
results=$here/results
[[ $quick == 1 ]] && results=$here/results/quick   # a smoke test leaves the real report alone
mkdir -p "$results"
raw=$results/raw.tsv
: >"$raw"
unset PYTHONMALLOC PYTHONMALLOCSTATS MIMALLOC_VERBOSE MALLOC_CONF TCMALLOC_RELEASE_RATE || true
export LUA_CPATH="$build/bindings/lua/lua54/?.so"
# lua_call.sh's sizes, and its hand-written Lua modules built once for all
# the repetitions
export LUA_CALL_HW="$bin/lua_call" LUA_CALL_N="$lua_call_n" LUA_CALL_CG="$lua_call_cg"
bash "$here/lua_call.sh" "$build" build

# record REP CMD...: run one measurement; its lines go to raw.tsv, tagged.
record() {
  local rep=$1
  shift
  "$@" | sed "s/^/$rep\t/" >>"$raw"
}

# wall REP PEER CONFIG CMD...: a whole process, timed from outside.
wall() {
  local rep=$1 peer=$2 config=$3 t0 t1
  shift 3
  t0=$(date +%s%N)
  "$@" >/dev/null
  t1=$(date +%s%N)
  printf '%s\tlua\t%s\t%s\ts\t%s\n' "$rep" "$peer" "$config" "$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.4f", d / 1e9 }')" >>"$raw"
}

busy_start=$(busy_ticks) own_start=$(own_ticks) seconds_start=$SECONDS
for rep in $(seq 1 "$reps"); do
  echo "== repetition $rep of $reps"
  wait_quiet
  rep_busy=$(busy_ticks) rep_own=$(own_ticks) rep_start=$SECONDS
  for p in $peers; do record "$rep" "$bin/pairs-$p" "$pairs"; done
  BENCH_ONE_THREAD=1 record "$rep" "$bin/pairs-glibc" "$pairs"
  for n in 1 2; do
    for p in $peers; do record "$rep" "$bin/threads-$p" "$n" "$thread_rounds"; done
  done
  for p in $peers; do record "$rep" "$bin/xfree-$p" "$xfree"; done
  for p in $peers; do record "$rep" "$bin/churn-$p" "$churn" 1000; done
  for p in mi_heap tsheap-ft tsheap-gil; do record "$rep" "$bin/teardown-$p" "$teardown"; done
  for p in $peers; do record "$rep" "$bin/memory-$p" "$mem_blocks" "$mem_rounds"; done
  wall "$rep" lua5.4 single lua5.4 "$here/lua_run.lua" stock "$depth"
  wall "$rep" tsheap-ft single lua5.4 "$here/lua_run.lua" luastate:tsheap "$depth"
  wall "$rep" tsheap-gil single lua5.4 "$here/lua_run.lua" luastate:tsheap.gil "$depth"
  for n in 1 2; do
    for m in tsheap tsheap.gil; do
      peer=tsheap-ft
      [[ $m == tsheap.gil ]] && peer=tsheap-gil
      s=$(lua5.4 "$here/lua_run.lua" "threads:$m" "$depth" "$n")
      printf '%s\tlua\t%s\tthreads/%s\ts\t%s\n' "$rep" "$peer" "$n" "$s" >>"$raw"
    done
  done
  record "$rep" bash "$here/lua_call.sh" "$build" time "$rep"
  printf '%s\tmachine\tothers\trep\tpercent\t%s\n' "$rep" "$(others_pct "$rep_busy" "$rep_own" "$rep_start")" >>"$raw"
done
others=$(others_pct "$busy_start" "$own_start" "$seconds_start")

# Instruction counts are deterministic: one run of each, the difference of
# two run lengths so that start-up cancels out (as fastpath.sh does).
echo "== instructions per pair (callgrind)"
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | sed -n 's/.*Collected : //p'
}
for pattern in batch same; do
  for size in 16 64 256; do
    for p in $peers; do
      a=$(count "$bin/pairs-$p" cg "$pattern" "$size" "$cg_short")
      b=$(count "$bin/pairs-$p" cg "$pattern" "$size" "$cg_long")
      printf '1\tinstr\t%s\t%s/%s\tinstr\t%s\n' "$p" "$pattern" "$size" \
        "$(awk -v a="$a" -v b="$b" -v n=$(((cg_long - cg_short) * 1000)) 'BEGIN { printf "%.2f", (b - a) / n }')" >>"$raw"
    done
  done
done
record 1 bash "$here/lua_call.sh" "$build" instr

seconds=$(($(date +%s) - start))
cat >"$results/meta.txt" <<EOF
date	$(date -u '+%Y-%m-%d %H:%M UTC')
commit	${BENCH_COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo ' (with local changes)')}
machine	$(nproc) CPUs, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1), $(uname -r)
system	$(. /etc/os-release && echo "$PRETTY_NAME"), mimalloc $(dpkg-query -W -f='${Version}' libmimalloc-dev) (tsheap and the mimalloc peers alike)
load	$load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (1, 5, 15 min)
others	other processes kept $others% of one core busy during the measurements
reps	$reps$([[ $quick == 1 ]] && echo ' (BENCH_QUICK=1: tiny sizes, not a measurement)')
duration	$seconds s
param	pairs	$pairs
param	thread_rounds	$thread_rounds
param	xfree	$xfree
param	churn	$churn
param	teardown	$teardown
param	mem_blocks	$mem_blocks
param	mem_rounds	$mem_rounds
param	depth	$depth
param	lua_call_n	$lua_call_n
EOF
lua5.4 "$here/report.lua" "$raw" "$results/meta.txt" "$results"
(cd "$results" && gnuplot -e "depth=$depth; blocks=$mem_blocks" "$here/plots.gp")
echo "== wrote $results/report.md and $results/*.svg in $seconds s"
