/* exports.c - mimalloc's functions under the library's names (free-threaded build).
 *
 * The header's inline fast paths call these (the list is tsheap_fast.h's),
 * so a program that uses them needs no link to mimalloc, which would make
 * mimalloc its malloc.  Each is a GNU indirect function: the dynamic linker
 * binds the program's call straight to mimalloc's own, so it costs what a
 * direct call to mimalloc costs, where a table of function pointers would
 * add an indirect call to every pair (bench/README.md measured it).  The
 * resolvers run while the program is being relocated: they may only return
 * an address.
 */
#include <mimalloc.h>

#include "internal.h"
#include "series.h"

#define EXPORT_AS(name, target)                                                   \
  __attribute__((used)) static __typeof__(&target) resolve_##name(void) { return target; } \
  __typeof__(target) tsheap__mi_##name __attribute__((ifunc("resolve_" #name)));
#define EXPORT(ret, name, params) EXPORT_AS(name, mi_##name)

TSHEAP__MI_EXPORTS(EXPORT)
/* Where the series must do more than mimalloc's own function. */
EXPORT_AS(heap_malloc_aligned, series_heap_malloc_aligned)
