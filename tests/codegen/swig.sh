#!/usr/bin/env bash
# The build's generated SWIG interface goes through `swig -lua` (with an empty
# host typemap file), with the spec's guard macro defined and not, and wraps
# the functions of that build under their names without the prefix: the
# GIL-only ones only without the guard, the GIL-wanting ones through their
# _nogil twins, and never the functions the spec keeps for C.
. "$(dirname "$0")/lib.sh"
: "${TSHEAP_GEN_DIR:?TSHEAP_GEN_DIR is not set}"

command -v swig > /dev/null || fail "swig is not installed (apt-get install -y swig)"
guard=$(gen --print guard "$TSHEAP_SPEC") || fail "--print guard exits $?"
name=$(gen --print name "$TSHEAP_SPEC")
iface=$TSHEAP_GEN_DIR/swig/$name.i
[ -f "$iface" ] || fail "no generated interface at $iface"

mkdir "$SCRATCH/host"
: > "$SCRATCH/host/${name}_host.i"
for ft in 0 1; do
  def=; [ "$ft" = 1 ] && def=-D$guard
  wrap=$SCRATCH/wrap$ft.c
  if ! swig -lua $def -I"$TSHEAP_GEN_DIR/include" -I"$SCRATCH/host" -o "$wrap" "$iface" > "$SCRATCH/log" 2>&1; then
    show "$SCRATCH/log" "swig -lua ${def:-(no guard)}"
    check "swig -lua ${def:-(no guard)} fails on $iface"
    continue
  fi
  echo "swig -lua ${def:-(no guard)}: ok"
  grep -q '{ "malloc", _wrap_malloc}' "$wrap" || check "swig ${def:-(no guard)}: no wrapper named malloc"
  grep -q '{ "strerror", _wrap_strerror}' "$wrap" || check "swig ${def:-(no guard)}: no wrapper named strerror"
  grep -q "${name}_malloc_nogil(" "$wrap" || check "swig ${def:-(no guard)}: malloc does not call ${name}_malloc_nogil"
  grep -q "^#include <$name/$name.h>" "$wrap" || check "swig ${def:-(no guard)}: the wrapper does not include <$name/$name.h>"
  grep -q '_wrap_lua_alloc\b' "$wrap" && check "swig ${def:-(no guard)}: wraps lua_alloc, which the spec keeps for C"
  if [ "$ft" = 1 ]; then
    grep -q '{ "gil_held",' "$wrap" && check "swig $def: wraps gil_held of the GIL build"
  else
    grep -q '{ "gil_held",' "$wrap" || check "swig (no guard): no wrapper of gil_held"
  fi
done
finish
