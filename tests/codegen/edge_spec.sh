#!/usr/bin/env bash
# edge_spec.sh SPEC: a spec that the loader's rules alone would let through,
# but whose outputs would not compile (two names that meet in one C name, a
# name the generated code uses itself).  Its first line reads
#   -- edge: <name>: <what is odd about it>
# tsheap-gen must reject it properly: exit 1, one line
# "SPEC:<line>: error: ..." naming '<name>', no traceback, nothing written.
. "$(dirname "$0")/lib.sh"
spec=${1:?usage: edge_spec.sh SPEC}

who=$(sed -n '1s/^-- edge: \([^:]*\): .*$/\1/p' "$spec")
[ -n "$who" ] || fail "$spec: the first line is not '-- edge: <name>: <description>'"
out=$SCRATCH/out
mkdir "$out"
run "$SCRATCH/stdout" "$SCRATCH/stderr" gen --out "$out" "$spec"
[ "$rc" = 1 ] || check "exit status $rc, not 1: tsheap-gen did not reject $spec"
found=
while IFS= read -r l; do
  case $l in "$spec:"[0-9]*": error: "*"'$who'"*) found=1 ;; esac
done < "$SCRATCH/stderr"
[ -n "$found" ] || check "stderr has no line '$spec:<line>: error: ...'$who'...'"
[ "$(wc -l < "$SCRATCH/stderr")" = 1 ] || check "stderr is not one line"
grep -q "traceback" "$SCRATCH/stderr" && check "rejected with a Lua traceback instead of a spec error"
[ -z "$(ls -A "$out")" ] || check "wrote $(cd "$out" && find . -mindepth 1 | tr '\n' ' ')"
[ "$failures" = 0 ] || show "$SCRATCH/stderr" stderr
finish
