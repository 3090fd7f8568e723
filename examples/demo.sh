#!/usr/bin/env bash
# demo.sh - build tsheap (installing what it needs) and run the demo on both builds.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/deps.sh
tsheap_install_deps
cmake -S . -B build/demo -DTSHEAP_TESTS=OFF >/dev/null
cmake --build build/demo -j "$(nproc)" >/dev/null
./build/demo/examples/demo_ft
./build/demo/examples/demo_gil
