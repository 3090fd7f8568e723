# lib.sh - sourced by the codegen tests.  The test's environment (set by
# CMakeLists.txt) names the tools: LUA54, TSHEAP_GEN, TSHEAP_SPEC,
# TSHEAP_GEN_DIR, TSHEAP_GUARD.  Each test runs under `set -eu`; fail() says
# what went wrong and exits 1.
set -eu

: "${LUA54:=lua5.4}"
: "${TSHEAP_GEN:?TSHEAP_GEN is not set}"
: "${TSHEAP_SPEC:?TSHEAP_SPEC is not set}"
CODEGEN_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

failures=0
fail() {          # fail MESSAGE...: report and stop
  echo "FAIL: $*" >&2
  exit 1
}
check() {         # check MESSAGE...: report, remember, go on (see finish)
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
finish() {
  if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "ok"
}

# A scratch directory removed when the test ends.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/tsheap-codegen.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

gen() { "$LUA54" "$TSHEAP_GEN" "$@"; }

# run OUT ERR CMD...: run CMD with stdout/stderr to files, set $rc.
run() {
  local out=$1 err=$2
  shift 2
  rc=0
  "$@" >"$out" 2>"$err" || rc=$?
}

show() {          # show FILE LABEL [MAXLINES]: print a file into the test log
  echo "---- $2:" >&2
  sed "${3:-\$}q" "$1" | sed 's/^/    /' >&2
  if [ -n "${3:-}" ] && [ "$(wc -l < "$1")" -gt "$3" ]; then echo "    [... $(wc -l < "$1") lines in all]" >&2; fi
}

# The files under a directory, one relative path a line, sorted.
tree_files() { (cd "$1" && find . -mindepth 1 ! -type d | sed 's|^\./||' | LC_ALL=C sort); }

# The library's hand-written fast-path headers, which every generated header
# includes (<tsheap/tsheap_fast.h>): where the build copied them.
FAST_INCLUDE=-I${TSHEAP_FAST_INCLUDE:?the build sets TSHEAP_FAST_INCLUDE}

# compile_header_matrix INCLUDE_DIR GUARD SOURCE [CC:LANG:STD...]: compile (-c,
# no link) SOURCE with -Wall -Wextra -Werror, by default with gcc as C99 and
# C11, g++ as C++11, and clang/clang++ when installed; each with -DGUARD
# (and -DEXPECT_FT=1) and without (-DEXPECT_FT=0).
compile_header_matrix() {
  local inc=$1 guard=$2 src=$3 cc std lang ft def log entry
  shift 3
  local compilers="$*"
  if [ -z "$compilers" ]; then
    compilers="gcc:c:c99 gcc:c:c11 g++:c++:c++11"
    if command -v clang > /dev/null; then compilers="$compilers clang:c:c99 clang:c:c11"; fi
    if command -v clang++ > /dev/null; then compilers="$compilers clang++:c++:c++11"; fi
  fi
  log=$SCRATCH/compile.log
  for entry in $compilers; do
    IFS=: read -r cc lang std <<< "$entry"
    for ft in 0 1; do
      def=; [ "$ft" = 1 ] && def=-D$guard
      if ! "$cc" -x "$lang" -std="$std" -Wall -Wextra -Werror $def -DEXPECT_FT=$ft -I"$inc" "$FAST_INCLUDE" \
           -c "$src" -o "$SCRATCH/use.o" > "$log" 2>&1; then
        show "$log" "$cc -std=$std ${def:-(no guard)}" 12
        check "$(basename "$src") does not compile with $cc -std=$std -Wall -Wextra -Werror ${def:-(no guard)}"
      else
        echo "compiled: $cc -std=$std ${def:-(no guard)}"
      fi
    done
  done
}

# compile_stubs GEN_DIR: the generated stubs compile against the generated headers.
compile_stubs() {
  local dir=$1 f
  for f in "$dir"/core/stubs_*.c; do
    if ! gcc -std=c11 -Wall -Wextra -Werror -I"$dir/include" "$FAST_INCLUDE" -I"$dir/core" -c "$f" -o "$SCRATCH/stub.o" \
         > "$SCRATCH/compile.log" 2>&1; then
      show "$SCRATCH/compile.log" "gcc $(basename "$f")" 12
      check "$(basename "$f") does not compile"
    fi
  done
}
