#!/usr/bin/env bash
# A runtime's own spec (one more domain, its own guard macro) builds the whole
# library and passes the same C tests.
set -euo pipefail
src=$1 dir=$2
mkdir -p "$dir"
spec=$dir/custom.spec.lua
bash "$src/tests/codegen/make_custom_spec.sh" "$src/spec/tsheap.spec.lua" > "$spec"
cmake -S "$src" -B "$dir" -DTSHEAP_SPEC="$spec" -DTSHEAP_NESTED=ON -DTSHEAP_WERROR=ON >/dev/null
cmake --build "$dir" -j "$(nproc)" >/dev/null
header="$dir/generated/include/tsheap/tsheap.h"
grep -q "TSHEAP_DOMAIN_GC_PRE = 3" "$header"
grep -q "#define TSHEAP_DOMAIN_COUNT 4" "$header"
grep -q "#ifdef MYRT_GIL_DISABLED" "$header"
ctest --test-dir "$dir" -R "^(test_|install_)" --output-on-failure
"$dir/examples/demo_ft" | grep -q "4 domains"
