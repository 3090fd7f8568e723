#!/usr/bin/env bash
# make_custom_spec.sh [BASE]: print a runtime's own spec, derived from BASE
# (default spec/tsheap.spec.lua): the same API with its own guard macro,
# MYRT_GIL_DISABLED, and one more counted domain, gc_pre, after gc.  Derived
# at test time, so it never falls behind the project's spec.
set -eu
base=${1:-$(dirname "$0")/../../spec/tsheap.spec.lua}
awk '
  /^  guard = "TSHEAP_GIL_DISABLED",$/ { sub(/TSHEAP_GIL_DISABLED/, "MYRT_GIL_DISABLED"); guard++ }
  { out[n++] = $0 }
  /^domain \{ name = "gc", / {
    out[n++] = "-- added by tests/codegen/make_custom_spec.sh: a runtime'\''s own domain."
    out[n++] = "domain { name = \"gc_pre\", doc = \"Objects the collector tracks before they are published; counted.\", counted = true }"
    domain++
  }
  END {
    if (guard != 1) { print "make_custom_spec.sh: no guard = \"TSHEAP_GIL_DISABLED\", line in the base spec" > "/dev/stderr"; exit 1 }
    if (domain != 1) { print "make_custom_spec.sh: no domain { name = \"gc\", ... } line in the base spec" > "/dev/stderr"; exit 1 }
    for (i = 0; i < n; i++) print out[i]
  }' "$base"
