#!/usr/bin/env bash
# on_debian.sh SUITE: the whole benchmark suite on another Debian release,
# in a fresh SUITE made by debootstrap, so that tsheap and every peer run on
# that release's mimalloc (trixie: 3.0.1) and allocators.  The tree is
# copied in, bench/run.sh runs there as here (BENCH_REPS and the other
# BENCH_ settings pass through), and its report comes back to
# bench/results/SUITE/ (bench/results/quick/SUITE/ for BENCH_QUICK=1).  Run it on a quiet machine, as run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:?usage: bench/on_debian.sh SUITE}
. tests/deps.sh
tsheap_install_deps debootstrap
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench' || echo ' (with local changes)')"
. packaging/fresh-debian.sh
fresh_debian "$suite" "bench-$suite"
bash packaging/copy-source.sh "$root/work/src"
settings=(BENCH_COMMIT="$commit")
for v in BENCH_REPS BENCH_QUICK BENCH_QUIET_WAIT; do
  [[ -n ${!v:-} ]] && settings+=("$v=${!v}")
done
in_root env "${settings[@]}" bash -c 'cd /work/src && bash bench/run.sh build/bench'
results=bench/results
[[ ${BENCH_QUICK:-0} == 1 ]] && results=bench/results/quick   # as run.sh
rm -rf "${results:?}/$suite"
mkdir -p "$results/$suite"
cp -r "$root/work/src/$results/." "$results/$suite/"
rm -rf "$results/$suite/quick" "$results/$suite/$suite"
echo "== $suite: $results/$suite/report.md"
