# shellcheck shell=bash
# deps.sh - what the benchmarks need besides the project's own dependencies:
# the peers (jemalloc, tcmalloc, the system's CPython to embed: 3.11 on
# Debian 12, 3.13 on 13), gnuplot for the plots.  Sourced by run.sh; installs
# through tests/deps.sh, a no-op when everything is present.
# shellcheck source=tests/deps.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/deps.sh"
BENCH_DEPS="libjemalloc-dev libgoogle-perftools-dev libpython3-dev gnuplot-nox procps"
# shellcheck disable=SC2086  # a list of package names
bench_install_deps() { tsheap_install_deps $BENCH_DEPS; }
