#!/usr/bin/env bash
# The command line: --print outputs lists the 7 outputs, --version, --print's
# other answers, usage errors (exit 2), and a spec that cannot be read.
# Everything runs in an empty working directory (the default --out is .),
# which must stay empty.
. "$(dirname "$0")/lib.sh"
cwd=$SCRATCH/cwd
mkdir "$cwd"
cd "$cwd"

# expect STATUS STDOUT-PATTERN STDERR-PATTERN ARGS...: exit status and a grep -E
# pattern each for stdout and stderr ("" means: must be empty).
expect() {
  local status=$1 outpat=$2 errpat=$3 before=$failures
  shift 3
  run "$SCRATCH/stdout" "$SCRATCH/stderr" gen "$@"
  [ "$rc" = "$status" ] || check "tsheap-gen $*: exit status $rc, not $status"
  for s in out err; do
    local pat file=$SCRATCH/std$s
    [ "$s" = out ] && pat=$outpat || pat=$errpat
    if [ -z "$pat" ]; then
      [ -s "$file" ] && check "tsheap-gen $*: printed on std$s"
    else
      grep -Eq -- "$pat" "$file" || check "tsheap-gen $*: std$s does not match /$pat/"
    fi
  done
  if [ "$failures" != "$before" ]; then show "$SCRATCH/stdout" stdout; show "$SCRATCH/stderr" stderr; fi
}

# --print outputs: the 7 paths, in a fixed order.
name=$(gen --print name "$TSHEAP_SPEC")
printf '%s\n' "include/$name/$name.h" "core/${name}_impl.h" core/stubs_ft.c core/stubs_gil.c \
  "swig/$name.i" "doc/$name-api.md" "man/$name.3" > "$SCRATCH/want"
expect 0 "^include/" "" --print outputs "$TSHEAP_SPEC"
diff "$SCRATCH/want" "$SCRATCH/stdout" > "$SCRATCH/diff" ||
  { show "$SCRATCH/diff" "want vs --print outputs"; check "--print outputs does not list the 7 outputs"; }

expect 0 '^tsheap-gen 0\.1\.0$' "" --version
[ "$(wc -l < "$SCRATCH/stdout")" = 1 ] || check "--version prints more than one line"
expect 0 "^usage: tsheap-gen" "" --help

# --print's other answers agree with what the build and the header say.
expect 0 '^[A-Za-z_][A-Za-z0-9_]*$' "" --print guard "$TSHEAP_SPEC"
[ -z "${TSHEAP_GUARD:-}" ] || [ "$(cat "$SCRATCH/stdout")" = "$TSHEAP_GUARD" ] ||
  check "--print guard is not the build's TSHEAP_GUARD ($TSHEAP_GUARD)"
expect 0 '^[0-9]+\.[0-9]+\.[0-9]+$' "" --print version "$TSHEAP_SPEC"
expect 0 '^[a-z][a-z0-9_]*_$' "" --print prefix "$TSHEAP_SPEC"
expect 0 '^0x[0-9a-f]{8}$' "" --print abi "$TSHEAP_SPEC"
abi=$(cat "$SCRATCH/stdout")
gen --out "$SCRATCH/gen" "$TSHEAP_SPEC"
U=$(echo "$name" | tr a-z A-Z)
grep -q "^#define ${U}_SPEC_ABI ${abi}u\$" "$SCRATCH/gen/include/$name/$name.h" ||
  check "--print abi ($abi) is not the header's ${U}_SPEC_ABI"
expect 2 "" "takes guard, abi, version, name, prefix or outputs" --print colour "$TSHEAP_SPEC"

# Usage errors: exit 2 with the usage on stderr.
expect 2 "" "unknown option --frobnicate" --frobnicate "$TSHEAP_SPEC"
grep -q "^usage: tsheap-gen" "$SCRATCH/stderr" || check "an unknown option does not print the usage"
expect 2 "" "^usage: tsheap-gen" -x "$TSHEAP_SPEC"
expect 2 "" "^usage: tsheap-gen"
expect 2 "" "more than one spec" "$TSHEAP_SPEC" "$TSHEAP_SPEC"
expect 2 "" "^usage: tsheap-gen" "$TSHEAP_SPEC" --out
expect 2 "" "^usage: tsheap-gen" --check "$TSHEAP_SPEC" --print

# A spec that is not there, relative and absolute.
expect 1 "" "^nope/missing\.spec\.lua:1: error: cannot read spec" nope/missing.spec.lua
expect 1 "" "^$SCRATCH/missing\.spec\.lua:1: error: cannot read spec" --check "$SCRATCH/missing.spec.lua"
expect 1 "" "^$SCRATCH/missing\.spec\.lua:1: error: cannot read spec" --print guard "$SCRATCH/missing.spec.lua"

[ -z "$(ls -A "$cwd")" ] || check "the working directory is no longer empty: $(ls -A "$cwd")"
finish
