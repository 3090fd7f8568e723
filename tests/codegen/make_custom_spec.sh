#!/usr/bin/env bash
# make_custom_spec.sh [BASE]: print a runtime's own spec, derived from BASE
# (default spec/tsheap.spec.lua): the same API with its own guard macro,
# MYRT_GIL_DISABLED, one more counted domain, gc_pre, after gc, and one more
# function, spec_version, implemented by what implements version (so that it
# needs no code of its own).  Derived at test time, so it never falls behind
# the project's spec.
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
    print "-- added by tests/codegen/make_custom_spec.sh: a function only this spec declares."
    print "func { name = \"spec_version\", returns = { \"const char *\", kind = \"value\" }, thread = \"any\","
    print "  since = \"0.1.0\", impl = { ft = \"tsheap__version\", gil = \"tsheap__version\" },"
    print "  doc = \"The version, under a name only a runtime'\''s own spec gives it.\" }"
  }' "$base"
