#!/usr/bin/env bash
# The build's generated SWIG interface goes through `swig -lua`, with the
# spec's guard macro defined and not, and wraps the functions of that build:
# the GIL-only ones only without the guard, never the C-only _nogil twins.
. "$(dirname "$0")/lib.sh"
: "${TSHEAP_GEN_DIR:?TSHEAP_GEN_DIR is not set}"

command -v swig > /dev/null || fail "swig is not installed (apt-get install -y swig)"
guard=$(gen --print guard "$TSHEAP_SPEC") || fail "--print guard exits $?"
name=$(gen --print name "$TSHEAP_SPEC")
iface=$TSHEAP_GEN_DIR/swig/$name.i
[ -f "$iface" ] || fail "no generated interface at $iface"

for ft in 0 1; do
  def=; [ "$ft" = 1 ] && def=-D$guard
  wrap=$SCRATCH/wrap$ft.c
  if ! swig -lua $def -I"$TSHEAP_GEN_DIR/include" -o "$wrap" "$iface" > "$SCRATCH/log" 2>&1; then
    show "$SCRATCH/log" "swig -lua ${def:-(no guard)}"
    check "swig -lua ${def:-(no guard)} fails on $iface"
    continue
  fi
  echo "swig -lua ${def:-(no guard)}: ok"
  grep -q "_wrap_${name}_malloc\b" "$wrap" || check "swig ${def:-(no guard)}: no wrapper of ${name}_malloc"
  grep -q "_wrap_${name}_strerror\b" "$wrap" || check "swig ${def:-(no guard)}: no wrapper of ${name}_strerror"
  grep -q "^#include <$name/$name.h>" "$wrap" || check "swig ${def:-(no guard)}: the wrapper does not include <$name/$name.h>"
  grep -q "_nogil\b" "$wrap" && check "swig ${def:-(no guard)}: wraps a _nogil twin"
  if [ "$ft" = 1 ]; then
    grep -q "_wrap_${name}_gil_held\b" "$wrap" && check "swig $def: wraps ${name}_gil_held of the GIL build"
  else
    grep -q "_wrap_${name}_gil_held\b" "$wrap" || check "swig (no guard): no wrapper of ${name}_gil_held"
  fi
done
finish
