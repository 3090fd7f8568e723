/* exports.c - mimalloc's functions under the library's names (free-threaded build).
 *
 * The header's inline fast paths call these (the list is tsheap_fast.h's),
 * so a program that uses them needs no link to mimalloc, which would make
 * mimalloc its malloc.  Each is a GNU indirect function: the dynamic linker
 * binds the program's call straight to mimalloc's own, so it costs what a
 * direct call to mimalloc costs.  A table of function pointers did the same
 * work through an indirect call, and a batch of 64 B pairs ran ~20% slower
 * than on mimalloc directly.  The resolvers run while the program is being
 * relocated: they may only return an address.
 */
#include <mimalloc.h>

#include "internal.h"
#include "series.h"

/* Where the series must do more than mimalloc's own function. */
#define mi_heap_malloc_aligned series_heap_malloc_aligned

#define EXPORT(ret, name, params)                                                 \
  __attribute__((used)) static __typeof__(&mi_##name) resolve_##name(void) { return mi_##name; } \
  __typeof__(mi_##name) tsheap__mi_##name __attribute__((ifunc("resolve_" #name)));

TSHEAP__MI_EXPORTS(EXPORT)
