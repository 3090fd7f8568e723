#!/usr/bin/env bash
# run.sh - the whole test suite, both builds: plain, the C tests under
# valgrind, everything under ASan+UBSan (with LeakSanitizer), and the thread
# tests under TSan, the fuzzers for a bounded time.  Installs its dependencies
# first.
#   bash tests/run.sh            everything
#   bash tests/run.sh plain      one stage (plain, valgrind, asan, tsan, fuzz, packaging, debian13)
# Every stage but debian13 runs on this machine's Debian 12 (mimalloc 2.0.9);
# debian13 runs the plain suite, the packages and the clean-system test in
# fresh Debian 13 chroots (mimalloc 3.0.1): tests/on_debian.sh.
# TSHEAP_FUZZ_SECONDS: how long each API fuzzer runs (default 60);
# TSHEAP_SOAK_SECONDS: how long the plain soak test runs (default 60; 10 under
# the sanitizers).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/deps.sh
tsheap_install_deps
jobs=$(nproc)

build() {  # name, cmake args...
  local name=$1
  shift
  cmake -S . -B "build/$name" -DTSHEAP_WERROR=ON "$@" >/dev/null
  cmake --build "build/$name" -j "$jobs" >/dev/null
}

configure_and_test() {  # name, ctest args, cmake args...
  local name=$1 ctest_args=$2
  shift 2
  echo "=== $name ==="
  build "$name" "$@"
  ctest --test-dir "build/$name" --output-on-failure -j "$jobs" $ctest_args
}

what=${1:-all}
if [ "$what" = all ] || [ "$what" = plain ]; then
  TSHEAP_SOAK_SECONDS=${TSHEAP_SOAK_SECONDS:-60} configure_and_test plain ""
fi
if [ "$what" = all ] || [ "$what" = valgrind ]; then
  # Debian's libmimalloc exports free() as an alias of mi_free(): valgrind must
  # not take it for the C library's.  Leaks are LeakSanitizer's job (asan).
  echo "=== valgrind ==="
  build plain
  export VALGRIND_OPTS="-q --error-exitcode=99 --soname-synonyms=somalloc=nouserintercepts --leak-check=no"
  export TSHEAP_FORK_ROUNDS=20   # test_facts: a fork under valgrind takes about a second
  passed=0
  failed=0
  for t in build/plain/tests/test_api_ft build/plain/tests/test_api_gil build/plain/tests/test_facts_ft \
           build/plain/tests/test_facts_gil build/plain/tests/test_gil_gil build/plain/tests/test_small \
           build/plain/tests/test_threads_ft build/plain/tests/test_threads_gil build/plain/tests/test_fast_layout_ft \
           build/plain/tests/test_discard_pages_ft build/plain/tests/test_discard_pages_gil \
           build/plain/tests/test_lua_alloc_lua54_ft build/plain/tests/test_lua_alloc_luajit_gil; do
    if valgrind ./"$t" >"build/valgrind-$(basename "$t").log" 2>&1; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1)); echo "valgrind: $t failed"; tail -30 "build/valgrind-$(basename "$t").log"
    fi
  done
  # the Lua module under the stock interpreter
  for module in tsheap tsheap.gil; do
    for script in test_api test_fuzz; do
      log="build/valgrind-lua-$script-$module.log"
      if LUA_CPATH="build/plain/bindings/lua/lua54/?.so" LUA_PATH="tests/lua/?.lua" \
           valgrind lua5.4 "tests/lua/$script.lua" "$module" >"$log" 2>&1; then
        passed=$((passed + 1))
      else
        failed=$((failed + 1)); echo "valgrind: lua $script $module failed"; tail -30 "$log"
      fi
    done
  done
  echo "valgrind: $passed passed, $failed failed"
  [ "$failed" = 0 ]
fi
if [ "$what" = all ] || [ "$what" = asan ]; then
  configure_and_test asan "-LE nosan" -DCMAKE_BUILD_TYPE=Debug \
    "-DCMAKE_C_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all"
  bash tests/lua/fuzz_asan.sh build/asan
fi
if [ "$what" = all ] || [ "$what" = tsan ]; then
  configure_and_test tsan "-L threads" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_C_FLAGS=-fsanitize=thread" "-DCMAKE_CXX_FLAGS=-fsanitize=thread"
fi
if [ "$what" = all ] || [ "$what" = fuzz ]; then
  echo "=== fuzz ==="
  build plain
  bash tests/fuzz/run.sh build/plain "${TSHEAP_FUZZ_SECONDS:-60}"
fi
if [ "$what" = all ] || [ "$what" = packaging ]; then
  echo "=== packaging ==="
  bash packaging/build-deb.sh
  bash packaging/build-rpm.sh >/dev/null
  bash packaging/test-clean-system.sh
fi
if [ "$what" = all ] || [ "$what" = debian13 ]; then
  echo "=== debian13 ==="
  bash tests/on_debian.sh trixie
fi
