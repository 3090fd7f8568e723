#!/usr/bin/env bash
# No spec item can spell a macro the generated files define: for every
# MINI_<A>_<B> that minimal.spec.lua's outputs #define, the same spec with an
# enum <a> holding a value <b> (each way of splitting the name) is a spec
# error, not C that the compiler rejects later.
. "$(dirname "$0")/lib.sh"
base=$CODEGEN_TESTS/minimal.spec.lua
out=$SCRATCH/out
mkdir "$out"
gen --out "$out" "$base" >/dev/null || fail "minimal.spec.lua does not generate"
macros=$(grep -rhoE '^#define MINI_[A-Za-z0-9_]+' "$out" | sed 's/^#define //' | LC_ALL=C sort -u)
[ -n "$macros" ] || fail "found no #define MINI_ in the outputs"
tried=0
for macro in $macros; do
  rest=${macro#MINI_}
  head=
  while [[ $rest == *_* ]]; do
    head=${head:+${head}_}${rest%%_*}
    rest=${rest#*_}
    type=$(printf '%s' "$head" | tr 'A-Z' 'a-z')
    value=$(printf '%s' "$rest" | tr 'A-Z' 'a-z')
    [[ $type =~ ^[a-z][a-z0-9_]*$ && $value =~ ^[a-z][a-z0-9_]*$ ]] || continue
    [ "MINI_${head}_$rest" = "$macro" ] || continue    # MINI__X: no enum spells it
    spec=$SCRATCH/$macro.$type.spec.lua
    cp "$base" "$spec"
    printf 'type { name = "%s", kind = "enum", values = { { "%s", 1 } }, doc = "Spells %s." }\n' \
      "$type" "$value" "$macro" >>"$spec"
    run "$SCRATCH/stdout" "$SCRATCH/stderr" gen --print outputs "$spec"
    tried=$((tried + 1))
    if [ "$rc" != 1 ] || ! grep -q "^$spec:[0-9]*: error: " "$SCRATCH/stderr"; then
      check "enum '$type' with value '$value' spells $macro: tsheap-gen exits $rc"
      show "$SCRATCH/stderr" "stderr" 5
    fi
  done
done
[ "$tried" -ge 10 ] || fail "only $tried spellings tried: the outputs define fewer macros than expected"
echo "$tried spellings of $(echo "$macros" | wc -l) macros, each a spec error"
finish
