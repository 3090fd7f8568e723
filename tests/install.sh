#!/usr/bin/env bash
# Install into a fresh prefix; build one program against each library from the
# installed header; each must say which build it has and work.  The installed
# tsheap-gen regenerates the installed header byte for byte.
set -euo pipefail
build=$1 cc=$2 guard=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
lib=$(dirname "$(find "$tmp/prefix" -name 'libtsheap.so.0' | head -1)")
[ -e "$lib/libtsheapt.so.0" ] || { echo "libtsheapt.so.0 is not beside libtsheap.so.0"; exit 1; }
cat > "$tmp/use.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <tsheap/tsheap.h>
int main(void)
{
  tsheap_state *st;
  if (tsheap_state_create(0, &st) != TSHEAP_OK) return 1;
  char *p = tsheap_malloc_nogil(TSHEAP_DOMAIN_DEFAULT, 32);
  if (p == NULL) return 2;
  strcpy(p, "ok");
  printf("%s %s\n", tsheap_loaded_build() == TSHEAP_BUILD_FREE_THREADED ? "free-threaded" : "gil", p);
  tsheap_free_nogil(p);
  return tsheap_state_end(st) != TSHEAP_OK;
}
C
passed=0
for variant in "gil:-ltsheap:" "free-threaded:-ltsheapt:-D$guard"; do
  IFS=: read -r want link def <<< "$variant"
  "$cc" $def -I"$tmp/prefix/include" "$tmp/use.c" -L"$lib" $link -Wl,-rpath,"$lib" -o "$tmp/use"
  got=$("$tmp/use")
  [ "$got" = "$want ok" ] || { echo "linked $link: printed '$got', want '$want ok'"; exit 1; }
  passed=$((passed + 1))
done
# require "tsheap" and "tsheap.gil" from the installed Lua modules, both ABIs
for pair in "5.4:lua5.4" "5.1:luajit"; do
  cpath="$lib/lua/${pair%%:*}/?.so"
  got=$(LD_LIBRARY_PATH="$lib" LUA_CPATH="$cpath" "${pair##*:}" -e 'local t = require "tsheap" local g = require "tsheap.gil"
    local st = t.state_create() local b = t.malloc("raw", 8) b:free() st:close()
    io.write(t.build, " ", g.build)')
  [ "$got" = "free_threaded gil" ] || { echo "${pair##*:} with the installed modules printed '$got'"; exit 1; }
  passed=$((passed + 1))
done
# pkg-config, both libraries
export PKG_CONFIG_PATH="$lib/pkgconfig"
for variant in "gil:tsheap" "free-threaded:tsheapt"; do
  IFS=: read -r want pc <<< "$variant"
  # shellcheck disable=SC2046
  "$cc" "$tmp/use.c" $(pkg-config --cflags --libs "$pc") -Wl,-rpath,"$lib" -o "$tmp/use-pc"
  got=$("$tmp/use-pc")
  [ "$got" = "$want ok" ] || { echo "pkg-config $pc: printed '$got'"; exit 1; }
  passed=$((passed + 1))
done
# the CMake package, both targets in one project
mkdir "$tmp/proj"
cp "$tmp/use.c" "$tmp/proj/use.c"
cat > "$tmp/proj/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(use C)
find_package(tsheap CONFIG REQUIRED)
add_executable(use_gil use.c)
target_link_libraries(use_gil PRIVATE tsheap::tsheap)
add_executable(use_ft use.c)
target_link_libraries(use_ft PRIVATE tsheap::tsheapt)
CM
cmake -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/proj/build" >/dev/null
[ "$(LD_LIBRARY_PATH="$lib" "$tmp/proj/build/use_gil")" = "gil ok" ] || { echo "cmake: tsheap::tsheap"; exit 1; }
[ "$(LD_LIBRARY_PATH="$lib" "$tmp/proj/build/use_ft")" = "free-threaded ok" ] || { echo "cmake: tsheap::tsheapt"; exit 1; }
passed=$((passed + 2))
# the man pages
for page in man3/tsheap.3 man1/tsheap-gen.1; do
  [ -s "$tmp/prefix/share/man/$page" ] || { echo "no $page"; exit 1; }
  man -l "$tmp/prefix/share/man/$page" 2>/dev/null | grep -q "NAME" || { echo "$page does not render"; exit 1; }
  passed=$((passed + 1))
done
"$tmp/prefix/bin/tsheap-gen" --out "$tmp/regen" "$tmp"/prefix/share/tsheap/spec/*.spec.lua
cmp "$tmp/regen/include/tsheap/tsheap.h" "$tmp/prefix/include/tsheap/tsheap.h"
passed=$((passed + 1))
echo "$passed passed, 0 failed"
