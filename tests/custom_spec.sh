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
ctest --test-dir "$dir" -R "^(test_|install_)" -E soak --output-on-failure
"$dir/examples/demo_ft" | grep -q "4 domains"
# the function only this spec declares is in Lua with no other edit, on both ABIs
for pair in lua54:lua5.4 luajit:luajit; do
  LUA_CPATH="$dir/bindings/lua/${pair%%:*}/?.so" "${pair##*:}" -e '
    local t = require "tsheap"
    assert(t.spec_version() == t.version(), "spec_version")
    assert(t.DOMAIN_GC_PRE == 3 and t.DOMAIN_COUNT == 4, "the fourth domain")
    local st = t.state_create({ "gc_pre" })
    local b = t.malloc("gc_pre", 10)
    assert(st:stats("gc_pre").allocations == 1, "gc_pre is counted")
    b:free()
    st:end_domain("gc_pre", "discard")
    st:close()'
done
echo "custom spec: built, tested, and its own function reached from Lua"
