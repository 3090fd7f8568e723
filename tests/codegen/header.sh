#!/usr/bin/env bash
# The build's generated header compiles, without linking, as C99, C11 and
# C++11 (gcc, g++, and clang when installed) with -Wall -Wextra -Werror, with
# the spec's guard macro defined and not; and under clang -Weverything.
. "$(dirname "$0")/lib.sh"
: "${TSHEAP_GEN_DIR:?TSHEAP_GEN_DIR is not set}"

guard=$(gen --print guard "$TSHEAP_SPEC") || fail "--print guard exits $?"
[ -n "$guard" ] || fail "--print guard printed nothing"
[ -z "${TSHEAP_GUARD:-}" ] || [ "$guard" = "$TSHEAP_GUARD" ] ||
  fail "--print guard says '$guard', the build's TSHEAP_GUARD is '$TSHEAP_GUARD'"
name=$(gen --print name "$TSHEAP_SPEC")
header=$TSHEAP_GEN_DIR/include/$name/$name.h
[ -f "$header" ] || fail "no generated header at $header"
grep -q "^#ifdef $guard\$" "$header" || fail "$header never tests #ifdef $guard"

compile_header_matrix "$TSHEAP_GEN_DIR/include" "$guard" "$CODEGEN_TESTS/header_use.c"

# Every warning clang has, on every inline path (the installed fast-path
# headers beside the generated one).
if command -v clang > /dev/null; then
  for def in "" "-D$guard"; do
    if ! clang -x c -std=c11 -Weverything -Werror $def -I"$TSHEAP_GEN_DIR/include" "$FAST_INCLUDE" \
         -c "$CODEGEN_TESTS/header_everything.c" -o "$SCRATCH/everything.o" > "$SCRATCH/everything.log" 2>&1; then
      show "$SCRATCH/everything.log" "clang -Weverything ${def:-(no guard)}" 12
      check "the header is not clean under clang -Weverything -Werror ${def:-(no guard)}"
    fi
  done
fi
finish
