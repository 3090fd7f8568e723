#!/usr/bin/env bash
# A runtime's own spec, derived by make_custom_spec.sh from the project's
# (one more counted domain, gc_pre, and its own guard macro MYRT_GIL_DISABLED,
# same prefix): it generates, its header has the fourth domain and tests the
# new guard, and its header and stubs compile.
. "$(dirname "$0")/lib.sh"
: "${TSHEAP_BASE_SPEC:?TSHEAP_BASE_SPEC (spec/tsheap.spec.lua) is not set}"
spec=$SCRATCH/custom.spec.lua
out=$SCRATCH/out

bash "$CODEGEN_TESTS/make_custom_spec.sh" "$TSHEAP_BASE_SPEC" > "$spec" ||
  fail "make_custom_spec.sh cannot derive the custom spec from $TSHEAP_BASE_SPEC"

run "$SCRATCH/stdout" "$SCRATCH/stderr" gen --out "$out" "$spec"
if [ "$rc" != 0 ] || [ -s "$SCRATCH/stderr" ]; then
  show "$SCRATCH/stderr" stderr
  fail "generating from custom.spec.lua exits $rc"
fi
[ "$(gen --print guard "$spec")" = MYRT_GIL_DISABLED ] || check "--print guard is not MYRT_GIL_DISABLED"
[ "$(gen --print name "$spec")" = tsheap ] || check "--print name is not tsheap"
[ "$(gen --print abi "$spec")" != "$(gen --print abi "$TSHEAP_BASE_SPEC")" ] ||
  check "the custom spec has the ABI tag of $TSHEAP_BASE_SPEC although its domains differ"

h=$out/include/tsheap/tsheap.h
for want in '^  TSHEAP_DOMAIN_GC_PRE = 3,' '^#define TSHEAP_DOMAIN_COUNT 4$' '^#define TSHEAP_DOMAINS_COUNTED 0xcu$' \
            '^#ifdef MYRT_GIL_DISABLED$'; do
  grep -q "$want" "$h" || check "tsheap.h has no line /$want/"
done
grep -q '^#define MYRT_GIL_DISABLED 1$' "$out/core/stubs_ft.c" || check "stubs_ft.c does not define MYRT_GIL_DISABLED"
grep -q 'MYRT_GIL_DISABLED' "$out/core/stubs_gil.c" && check "stubs_gil.c names MYRT_GIL_DISABLED"
stale=$(grep -rl 'TSHEAP_GIL_DISABLED' "$out" || true)
[ -z "$stale" ] || check "outputs still name the project's guard TSHEAP_GIL_DISABLED: $stale"
grep -q '`TSHEAP_DOMAIN_GC_PRE` | 3 | yes' "$out/doc/tsheap-api.md" || check "the API reference does not list gc_pre as counted domain 3"

compile_header_matrix "$out/include" MYRT_GIL_DISABLED "$CODEGEN_TESTS/header_use.c"
compile_stubs "$out"
finish
