#!/usr/bin/env bash
# A spec that fails writes nothing: an empty out dir stays empty, and an
# existing generated tree stays byte-for-byte (and mtime-for-mtime) the same,
# with no .tmp files left behind; nor does a run that cannot write one of
# its outputs.  Each bad spec is the build's spec with one
# fault appended, so that every declaration before it is valid.
. "$(dirname "$0")/lib.sh"

tree=$SCRATCH/tree
gen --out "$tree" "$TSHEAP_SPEC" || fail "generating from $TSHEAP_SPEC exits $?"
find "$tree" -exec touch -d '2001-01-01 00:00:00' {} +
cp -a "$tree" "$SCRATCH/snapshot"

bad() {  # bad NAME LINES...: the build's spec plus LINES
  local spec=$SCRATCH/$1.spec.lua
  shift
  cp "$TSHEAP_SPEC" "$spec"
  printf '%s\n' "$@" >> "$spec"
  echo "$spec"
}
specs=(
  "$(bad duplicate_domain 'domain { name = "zz", doc = "a" }' 'domain { name = "zz", doc = "again" }')"
  "$(bad unknown_inline_op 'func { name = "zz", returns = { "int", kind = "value" }, thread = "any", since = "0.1.0", impl = { ft = "inline:nope", gil = "x" }, doc = "d" }')"
  "$(bad syntax 'domain { name = ')"
  "$(bad runtime 'os.exit(0)')"
  # Valid to the loader, but an inline op with none of its parameters: the emitters see it.
  "$(bad inline_no_params 'func { name = "zz", returns = { "void *", kind = "pointer" }, thread = "any", since = "0.1.0", impl = { ft = "inline:malloc", gil = "x" }, doc = "d" }')"
)

for spec in "${specs[@]}"; do
  name=$(basename "$spec" .spec.lua)
  for mode in generate check; do
    empty=$SCRATCH/empty.$name.$mode
    mkdir "$empty"
    flag=; [ "$mode" = check ] && flag=--check
    for out in "$empty" "$tree"; do
      run "$SCRATCH/stdout" "$SCRATCH/stderr" gen $flag --out "$out" "$spec"
      [ "$rc" = 1 ] || { show "$SCRATCH/stderr" stderr; check "$name ($mode into $out) exits $rc, not 1"; }
    done
    [ -z "$(ls -A "$empty")" ] || check "$name ($mode): the empty out dir now holds: $(cd "$empty" && find . -mindepth 1 | tr '\n' ' ')"
    if ! diff -r "$SCRATCH/snapshot" "$tree" > "$SCRATCH/diff"; then
      show "$SCRATCH/diff" "diff -r snapshot tree"
      fail "$name ($mode): the existing generated tree changed"
    fi
    touched=$(find "$tree" -newermt '2001-01-02' | sed "s|^$tree/||")
    [ -z "$touched" ] || check "$name ($mode): rewrote $touched in the existing tree"
  done
done
# A valid spec whose outputs cannot all be written changes none of them:
# a comment changes the spec's hash, so every output would be rewritten,
# and the last one's place for its .tmp file is taken by a directory.
changed=$SCRATCH/changed.spec.lua
cp "$TSHEAP_SPEC" "$changed"
echo '-- a comment: every banner changes' >> "$changed"
blocked=$(gen --print outputs "$changed" | tail -1)
mkdir "$tree/$blocked.tmp"
run "$SCRATCH/stdout" "$SCRATCH/stderr" gen --out "$tree" "$changed"
[ "$rc" = 1 ] || check "an output that cannot be written: exits $rc, not 1"
grep -q "no output changed" "$SCRATCH/stderr" || { show "$SCRATCH/stderr" stderr; check "the error does not say that no output changed"; }
rmdir "$tree/$blocked.tmp"
if ! diff -r "$SCRATCH/snapshot" "$tree" > "$SCRATCH/diff"; then
  show "$SCRATCH/diff" "diff -r snapshot tree" 20
  check "an output that cannot be written: the others changed anyway"
fi
gen --out "$tree" "$changed" || fail "the same spec once the place is free exits $?"
diff -r "$SCRATCH/snapshot" "$tree" > /dev/null && check "once the place is free, nothing was written"

leftover=$(find "$SCRATCH" -name '*.tmp')
[ -z "$leftover" ] || check ".tmp files left behind: $leftover"

finish
