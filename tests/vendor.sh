#!/usr/bin/env bash
# A runtime vendors tsheap with a spec of its own (one more domain, its own
# guard macro), once with add_subdirectory and once with FetchContent from a
# local path, and builds and runs a program on each library.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$src/tests/codegen/make_custom_spec.sh" "$src/spec/tsheap.spec.lua" > "$tmp/myrt.spec.lua"
cat > "$tmp/runtime.c" <<'C'
/* A runtime with a gc_pre domain of its own. */
#include <stdio.h>
#include <tsheap/tsheap.h>
int main(void)
{
  tsheap_state *st;
  if (tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_GC_PRE), &st) != TSHEAP_OK) return 1;
  void *p = tsheap_malloc_nogil(TSHEAP_DOMAIN_GC_PRE, 48);
  tsheap_domain_stats s;
  if (p == NULL || tsheap_state_stats(st, TSHEAP_DOMAIN_GC_PRE, &s) != TSHEAP_OK) return 2;
#ifdef MYRT_GIL_DISABLED
  const char *build = "free-threaded";
#else
  const char *build = "gil";
#endif
  printf("%s %d %zu\n", build, TSHEAP_DOMAIN_COUNT, s.live_blocks);
  tsheap_free_nogil(p);
  if (tsheap_state_end_domain(st, TSHEAP_DOMAIN_GC_PRE, TSHEAP_END_MODE_DISCARD) != TSHEAP_OK) return 3;
  return tsheap_state_end(st) != TSHEAP_OK;
}
C
passed=0
for how in add_subdirectory FetchContent; do
  mkdir -p "$tmp/$how"
  cp "$tmp/runtime.c" "$tmp/$how/"
  if [ "$how" = add_subdirectory ]; then
    bring="add_subdirectory(\"$src\" tsheap)"
  else
    bring="include(FetchContent)
FetchContent_Declare(tsheap SOURCE_DIR \"$src\")
FetchContent_MakeAvailable(tsheap)"
  fi
  cat > "$tmp/$how/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.18)
project(myrt C)
set(TSHEAP_SPEC "$tmp/myrt.spec.lua" CACHE FILEPATH "")
$bring
add_executable(runtime_ft runtime.c)
target_link_libraries(runtime_ft PRIVATE tsheap::tsheapt)
add_executable(runtime_gil runtime.c)
target_link_libraries(runtime_gil PRIVATE tsheap::tsheap)
CM
  cmake -S "$tmp/$how" -B "$tmp/$how/build" >/dev/null
  cmake --build "$tmp/$how/build" -j "$(nproc)" >/dev/null
  [ "$("$tmp/$how/build/runtime_ft")" = "free-threaded 4 1" ] || { echo "$how: runtime_ft"; exit 1; }
  [ "$("$tmp/$how/build/runtime_gil")" = "gil 4 1" ] || { echo "$how: runtime_gil"; exit 1; }
  passed=$((passed + 1))
done
echo "$passed passed, 0 failed"
