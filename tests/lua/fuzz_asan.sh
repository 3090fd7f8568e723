#!/usr/bin/env bash
# fuzz_asan.sh BUILD_DIR [SEEDS] [CALLS] - the Lua call fuzzer (test_fuzz.lua)
# under AddressSanitizer, UBSan and LeakSanitizer: BUILD_DIR's modules were
# built with -fsanitize=address,undefined, and the stock lua5.4 and luajit load
# them with the sanitizer runtimes preloaded.  SEEDS seeds (default 4) of
# CALLS calls (default 5000) per interpreter and module.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1 seeds=${2:-4} calls=${3:-5000}
preload="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LUA_PATH="$root/tests/lua/?.lua"
runs=0 failed=0
for interp in lua5.4 luajit; do
  dir=lua54
  [ "$interp" = luajit ] && dir=luajit
  for module in tsheap tsheap.gil; do
    for seed in $(seq 1 "$seeds"); do
      log="$build/fuzz-lua-$interp-$module-$seed.log"
      if LUA_CPATH="$build/bindings/lua/$dir/?.so" LD_PRELOAD="$preload" \
           "$interp" "$root/tests/lua/test_fuzz.lua" "$module" "$calls" "$seed" >"$log" 2>&1; then
        runs=$((runs + 1))
      else
        failed=$((failed + 1))
        echo "FAIL: $interp test_fuzz.lua $module $calls $seed (log $log)"
        grep -m3 "ERROR: \|runtime error\|check failed" "$log" | sed 's/^/    /'
      fi
    done
  done
done
echo "Lua fuzzer under ASan+UBSan: $((runs + failed)) runs of $calls calls, $failed crashed or failed"
[ "$failed" = 0 ]
