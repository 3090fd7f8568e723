#!/usr/bin/env bash
# minimal.spec.lua, the base of the specs in bad/ and edge/, is valid: it
# generates the 7 outputs silently, --check then passes, its header compiles
# as C and C++ with its guard defined and not, and both stubs compile.
. "$(dirname "$0")/lib.sh"
spec=$CODEGEN_TESTS/minimal.spec.lua
out=$SCRATCH/out

run "$SCRATCH/stdout" "$SCRATCH/stderr" gen --out "$out" "$spec"
if [ "$rc" != 0 ] || [ -s "$SCRATCH/stdout" ] || [ -s "$SCRATCH/stderr" ]; then
  show "$SCRATCH/stdout" stdout
  show "$SCRATCH/stderr" stderr
  fail "generating from minimal.spec.lua exits $rc (or printed something)"
fi
gen --print outputs "$spec" | LC_ALL=C sort > "$SCRATCH/outputs"
tree_files "$out" > "$SCRATCH/files"
diff "$SCRATCH/outputs" "$SCRATCH/files" > "$SCRATCH/diff" ||
  { show "$SCRATCH/diff" "--print outputs vs files written"; check "the files written are not the 7 outputs"; }
[ "$(wc -l < "$SCRATCH/files")" = 7 ] || check "expected 7 outputs, got $(wc -l < "$SCRATCH/files")"
gen --check --out "$out" "$spec" > "$SCRATCH/stdout" 2>&1 || { show "$SCRATCH/stdout" output; check "--check fails right after generating"; }

[ "$(gen --print name "$spec")" = mini ] || check "--print name is not mini"
[ "$(gen --print version "$spec")" = 1.2.0 ] || check "--print version is not 1.2.0"
guard=$(gen --print guard "$spec")
[ "$guard" = MINI_GIL_DISABLED ] || check "--print guard is '$guard', not MINI_GIL_DISABLED"
grep -q '^#define MINI_DOMAIN_COUNT 1$' "$out/include/mini/mini.h" || check "mini.h does not define MINI_DOMAIN_COUNT 1"

printf '#include <mini/mini.h>\nvoid *use(void);\nvoid *use(void) { return mini_malloc(MINI_DOMAIN_RAW, 1); }\n' > "$SCRATCH/use.c"
compile_header_matrix "$out/include" "$guard" "$SCRATCH/use.c"
compile_stubs "$out"
finish
