#!/usr/bin/env bash
# Two runs of tsheap-gen give byte-identical trees, whatever the working
# directory and however the spec's path is spelled; every output starts with
# a banner naming tsheap-gen, its version and the spec's hash; a run that
# changes nothing rewrites nothing.
. "$(dirname "$0")/lib.sh"

version=$(gen --version) || fail "tsheap-gen --version exits $?"
hash=$("$LUA54" "$CODEGEN_TESTS/fnv1a64.lua" "$TSHEAP_SPEC")
gen --print outputs "$TSHEAP_SPEC" > "$SCRATCH/outputs" || fail "--print outputs exits $?"

# Run 1: absolute spec path, from /.  Run 2: relative path, from the spec's directory.
mkdir "$SCRATCH/a" "$SCRATCH/b"
run "$SCRATCH/out1" "$SCRATCH/err1" sh -c 'cd / && exec "$0" "$1" --out "$2" "$3"' \
  "$LUA54" "$TSHEAP_GEN" "$SCRATCH/a" "$TSHEAP_SPEC"
[ "$rc" = 0 ] || { show "$SCRATCH/err1" stderr; fail "first run exits $rc"; }
run "$SCRATCH/out2" "$SCRATCH/err2" sh -c 'cd "$(dirname "$3")" && exec "$0" "$1" --out "$2" "./$(basename "$3")"' \
  "$LUA54" "$TSHEAP_GEN" "$SCRATCH/b" "$TSHEAP_SPEC"
[ "$rc" = 0 ] || { show "$SCRATCH/err2" stderr; fail "second run exits $rc"; }
for f in out1 err1 out2 err2; do
  [ -s "$SCRATCH/$f" ] && { show "$SCRATCH/$f" "$f"; check "a generating run printed something ($f)"; }
done

if ! diff -r "$SCRATCH/a" "$SCRATCH/b" > "$SCRATCH/diff"; then
  show "$SCRATCH/diff" "diff -r"
  check "the two runs differ"
fi
tree_files "$SCRATCH/a" > "$SCRATCH/files"
if ! diff <(LC_ALL=C sort "$SCRATCH/outputs") "$SCRATCH/files" > "$SCRATCH/diff"; then
  show "$SCRATCH/diff" "--print outputs vs files written"
  check "the files written are not the outputs --print outputs lists"
fi
[ "$(wc -l < "$SCRATCH/files")" = 7 ] || check "expected 7 outputs, got $(wc -l < "$SCRATCH/files")"

# The banner: first 3 lines of each output.
while read -r rel; do
  head -n 3 "$SCRATCH/a/$rel" > "$SCRATCH/banner"
  before=$failures
  grep -q "tsheap-gen" "$SCRATCH/banner" || check "$rel: banner does not name tsheap-gen"
  grep -qF "$version" "$SCRATCH/banner" || check "$rel: banner does not give '$version'"
  grep -q "$hash" "$SCRATCH/banner" || check "$rel: banner does not give the spec hash $hash"
  others=$(grep -o '\b[0-9a-f]\{16\}\b' "$SCRATCH/banner" | grep -v "^$hash\$" || true)
  [ -z "$others" ] || check "$rel: banner gives another hash: $others"
  if [ "$failures" -gt "$before" ]; then show "$SCRATCH/banner" "$rel, first 3 lines"; fi
done < "$SCRATCH/files"

# The hash follows the spec: one more byte, another hash, in every output.
cp "$TSHEAP_SPEC" "$SCRATCH/spec2.lua"
echo "-- one more line" >> "$SCRATCH/spec2.lua"
hash2=$("$LUA54" "$CODEGEN_TESTS/fnv1a64.lua" "$SCRATCH/spec2.lua")
gen --out "$SCRATCH/c" "$SCRATCH/spec2.lua" || fail "generating from the edited spec exits $?"
n=$(cd "$SCRATCH/c" && grep -l "$hash2" $(cat "$SCRATCH/files") | wc -l)
[ "$n" = 7 ] || check "after editing the spec, $n of 7 outputs carry its new hash $hash2"

# A run that changes nothing rewrites nothing (mtimes stay).
find "$SCRATCH/a" -type f -exec touch -d '2001-01-01 00:00:00' {} +
gen --out "$SCRATCH/a" "$TSHEAP_SPEC" || fail "regenerating exits $?"
touched=$(find "$SCRATCH/a" -type f -newermt '2001-01-02' | sed "s|^$SCRATCH/a/||")
[ -z "$touched" ] || check "regenerating an unchanged spec rewrote: $touched"
diff -r "$SCRATCH/a" "$SCRATCH/b" > /dev/null || check "regenerating in place changed the tree"
[ -z "$(find "$SCRATCH/a" -name '*.tmp')" ] || check "regenerating left .tmp files"

finish
