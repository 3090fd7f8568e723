#!/usr/bin/env bash
# run.sh - the whole test suite, both builds: plain, under ASan+UBSan, and the
# thread tests under TSan.  Installs its dependencies first.
#   bash tests/run.sh            everything
#   bash tests/run.sh plain      one configuration (plain, asan, tsan)
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/deps.sh
tsheap_install_deps
jobs=$(nproc)

configure_and_test() {  # name, ctest args, cmake args...
  local name=$1 ctest_args=$2
  shift 2
  echo "=== $name ==="
  cmake -S . -B "build/$name" -DTSHEAP_WERROR=ON "$@" >/dev/null
  cmake --build "build/$name" -j "$jobs" >/dev/null
  ctest --test-dir "build/$name" --output-on-failure -j "$jobs" $ctest_args
}

what=${1:-all}
if [ "$what" = all ] || [ "$what" = plain ]; then
  configure_and_test plain ""
fi
if [ "$what" = all ] || [ "$what" = asan ]; then
  configure_and_test asan "-LE nosan" -DCMAKE_BUILD_TYPE=Debug \
    "-DCMAKE_C_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all"
fi
if [ "$what" = all ] || [ "$what" = tsan ]; then
  configure_and_test tsan "-L threads" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_C_FLAGS=-fsanitize=thread" "-DCMAKE_CXX_FLAGS=-fsanitize=thread"
fi
