#!/usr/bin/env bash
# tsheap-gen --check: fails with a unified diff naming every missing or stale
# output, passes silently on an up-to-date tree, and never writes.
. "$(dirname "$0")/lib.sh"
: "${TSHEAP_GEN_DIR:?TSHEAP_GEN_DIR is not set}"

gen --print outputs "$TSHEAP_SPEC" > "$SCRATCH/outputs" || fail "--print outputs exits $?"
out=$SCRATCH/out
mkdir "$out"

# 1. An empty directory: every output is missing.
run "$SCRATCH/stdout" "$SCRATCH/stderr" gen --check --out "$out" "$TSHEAP_SPEC"
[ "$rc" = 1 ] || check "--check on an empty dir exits $rc, not 1"
while read -r rel; do
  grep -qFx -- "--- $out/$rel" "$SCRATCH/stdout" || check "--check diff has no '--- $out/$rel' line"
  grep -q -- "^+++ $out/$rel" "$SCRATCH/stdout" || check "--check diff has no '+++ $out/$rel' line"
done < "$SCRATCH/outputs"
[ "$(grep -c '^@@ -0,0 +1' "$SCRATCH/stdout" || true)" = 7 ] || check "--check diff does not add 7 whole files"
[ -z "$(ls -A "$out")" ] || check "--check wrote into the out dir: $(ls -A "$out")"
[ "$failures" = 0 ] || { show "$SCRATCH/stdout" "stdout"; show "$SCRATCH/stderr" "stderr"; fail "--check on an empty dir"; }

# 2. After generating: nothing to say.
gen --out "$out" "$TSHEAP_SPEC" || fail "generating exits $?"
run "$SCRATCH/stdout" "$SCRATCH/stderr" gen --check --out "$out" "$TSHEAP_SPEC"
[ "$rc" = 0 ] || check "--check on a fresh tree exits $rc, not 0"
[ -s "$SCRATCH/stdout" ] && { show "$SCRATCH/stdout" stdout; check "--check on a fresh tree printed on stdout"; }
[ -s "$SCRATCH/stderr" ] && { show "$SCRATCH/stderr" stderr; check "--check on a fresh tree printed on stderr"; }

# 3. One byte changed in one line of the header: the diff shows that line.
rel=$(head -n 1 "$SCRATCH/outputs")
file=$out/$rel
cp "$file" "$SCRATCH/orig"
n=$(awk -v h="$(( $(wc -l < "$file") / 2 ))" 'NR >= h && /[a-z]/ { print NR; exit }' "$file")
awk -v n="$n" 'NR == n { sub(/[a-z]/, "#") } { print }' "$SCRATCH/orig" > "$file"
orig_line=$(sed -n "${n}p" "$SCRATCH/orig")
edited_line=$(sed -n "${n}p" "$file")
[ "$(cmp -l "$SCRATCH/orig" "$file" | wc -l)" = 1 ] || fail "test setup: the edit changed more than one byte"
cp "$file" "$SCRATCH/edited"
run "$SCRATCH/stdout" "$SCRATCH/stderr" gen --check --out "$out" "$TSHEAP_SPEC"
before=$failures
[ "$rc" = 1 ] || check "--check after editing $rel (line $n) exits $rc, not 1"
grep -qFx -- "-$edited_line" "$SCRATCH/stdout" || check "the diff has no '-' line for the edited line $n: $edited_line"
grep -qFx -- "+$orig_line" "$SCRATCH/stdout" || check "the diff has no '+' line for the original line $n: $orig_line"
grep -qFx -- "--- $file" "$SCRATCH/stdout" || check "the diff does not name $file"
[ "$(grep -c '^--- ' "$SCRATCH/stdout" || true)" = 1 ] || check "the diff names other files than $rel"
cmp -s "$file" "$SCRATCH/edited" || check "--check rewrote the edited file"
[ -z "$(find "$out" -name '*.tmp')" ] || check "--check left .tmp files in the out dir"
[ "$failures" = "$before" ] || { show "$SCRATCH/stdout" stdout; show "$SCRATCH/stderr" stderr; }

# 4. One output deleted: only that one is reported.
cp "$SCRATCH/orig" "$file"
gone=$(tail -n 1 "$SCRATCH/outputs")
rm "$out/$gone"
run "$SCRATCH/stdout" "$SCRATCH/stderr" gen --check --out "$out" "$TSHEAP_SPEC"
before=$failures
[ "$rc" = 1 ] || check "--check with $gone deleted exits $rc, not 1"
grep -qFx -- "--- $out/$gone" "$SCRATCH/stdout" || check "the diff does not name the deleted $gone"
[ "$(grep -c '^--- ' "$SCRATCH/stdout" || true)" = 1 ] || check "the diff names other files than $gone"
[ -e "$out/$gone" ] && check "--check recreated $gone"
[ "$failures" = "$before" ] || { show "$SCRATCH/stdout" stdout; show "$SCRATCH/stderr" stderr; }

finish
