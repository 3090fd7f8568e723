#!/usr/bin/env bash
# edge_spec.sh SPEC: a spec the loader's rules let through but whose outputs
# need not compile.  Its first line reads
#   -- edge: <name>: <what is odd about it>
# tsheap-gen must either reject it properly (exit 1, one line
# "SPEC:<line>: error: ..." naming '<name>', no traceback, nothing written)
# or accept it with outputs that compile: the header as C and C++ with the
# guard defined and not, and both stubs.
. "$(dirname "$0")/lib.sh"
spec=${1:?usage: edge_spec.sh SPEC}

who=$(sed -n '1s/^-- edge: \([^:]*\): .*$/\1/p' "$spec")
[ -n "$who" ] || fail "$spec: the first line is not '-- edge: <name>: <description>'"
out=$SCRATCH/out
mkdir "$out"
run "$SCRATCH/stdout" "$SCRATCH/stderr" gen --out "$out" "$spec"
case $rc in
  0)
    echo "accepted: compiling the outputs"
    [ -s "$SCRATCH/stderr" ] && { show "$SCRATCH/stderr" stderr; check "accepted, but printed on stderr"; }
    name=$(gen --print name "$spec")
    guard=$(gen --print guard "$spec")
    printf '#include <%s/%s.h>\n' "$name" "$name" > "$SCRATCH/use.c"
    compile_header_matrix "$out/include" "$guard" "$SCRATCH/use.c" gcc:c:c11 g++:c++:c++11
    compile_stubs "$out"
    [ "$failures" = 0 ] || echo "tsheap-gen accepted $spec but its outputs do not compile: it should reject the spec with an error naming '$who'" >&2
    ;;
  1)
    echo "rejected: checking the error"
    found=
    while IFS= read -r l; do
      case $l in "$spec:"[0-9]*": error: "*"'$who'"*) found=1 ;; esac
    done < "$SCRATCH/stderr"
    [ -n "$found" ] || check "rejected, but stderr has no line '$spec:<line>: error: ...'$who'...'"
    [ "$(wc -l < "$SCRATCH/stderr")" = 1 ] || check "rejected, but stderr is not one line"
    grep -q "traceback" "$SCRATCH/stderr" && check "rejected with a Lua traceback instead of a spec error"
    [ -z "$(ls -A "$out")" ] || check "rejected, but wrote $(cd "$out" && find . -mindepth 1 | tr '\n' ' ')"
    [ "$failures" = 0 ] || show "$SCRATCH/stderr" stderr
    ;;
  *)
    show "$SCRATCH/stderr" stderr
    check "exit status $rc: neither accepted (0) nor rejected (1)"
    ;;
esac
finish
