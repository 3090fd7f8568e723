#!/usr/bin/env bash
# bad_spec.sh SPEC: tsheap-gen rejects SPEC, as its first line says:
#   -- expect: <line>: error: <substring>
# Generating, --check and --print each exit 1 with one line on stderr,
# "SPEC:<line>: error: ..." containing <substring>, print nothing on stdout
# and write nothing.
. "$(dirname "$0")/lib.sh"
spec=${1:?usage: bad_spec.sh SPEC}

line=$(sed -n '1s/^-- expect: \([0-9][0-9]*\): error: .*$/\1/p' "$spec")
msg=$(sed -n '1s/^-- expect: [0-9][0-9]*: error: //p' "$spec")
[ -n "$line" ] && [ -n "$msg" ] || fail "$spec: the first line is not '-- expect: <line>: error: <substring>'"
want="$spec:$line: error: "

for mode in generate check print; do
  out=$SCRATCH/out.$mode
  mkdir "$out"
  case $mode in
    generate) args=(--out "$out") ;;
    check) args=(--check --out "$out") ;;
    print) args=(--print outputs) ;;
  esac
  before=$failures
  run "$SCRATCH/stdout" "$SCRATCH/stderr" sh -c 'cd "$0" && exec "$@"' "$out" "$LUA54" "$TSHEAP_GEN" "${args[@]}" "$spec"
  [ "$rc" = 1 ] || check "$mode: exit status $rc, not 1"
  [ -s "$SCRATCH/stdout" ] && check "$mode: printed on stdout"
  [ "$(wc -l < "$SCRATCH/stderr")" = 1 ] || check "$mode: stderr is not one line"
  found=
  while IFS= read -r l; do
    case $l in "$want"*"$msg"*) found=1 ;; esac
  done < "$SCRATCH/stderr"
  [ -n "$found" ] || check "$mode: stderr has no line '$want...$msg...'"
  grep -q "traceback" "$SCRATCH/stderr" && check "$mode: stderr holds a Lua traceback"
  [ -z "$(ls -A "$out")" ] || check "$mode: wrote $(cd "$out" && find . -mindepth 1 | tr '\n' ' ')"
  if [ "$failures" != "$before" ]; then
    show "$SCRATCH/stdout" "$mode stdout"
    show "$SCRATCH/stderr" "$mode stderr"
  fi
done
finish
