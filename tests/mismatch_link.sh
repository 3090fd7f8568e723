#!/usr/bin/env bash
# The free-threaded header against the GIL library must fail to link, naming
# the free-threaded fast path's symbols.
set -euo pipefail
cc=$1 include=$2 libdir=$3 guard=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/x.c" <<'C'
#include <tsheap/tsheap.h>
int main(void) { tsheap_free(tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, 8)); return 0; }
C
if "$cc" -D"$guard" -I"$include" "$tmp/x.c" -L"$libdir" -ltsheap -o "$tmp/x" 2> "$tmp/err"; then
  echo "free-threaded header linked against the GIL library"; exit 1
fi
grep -q "tsheap__ft_current\|tsheap__mi" "$tmp/err" || { cat "$tmp/err"; exit 1; }
# and the matching pair links
"$cc" -D"$guard" -I"$include" "$tmp/x.c" -L"$libdir" -ltsheapt -o "$tmp/x"
echo "1 passed, 0 failed"
