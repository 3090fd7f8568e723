/* mi_exports.c - mimalloc's functions under the library's names (free-threaded build).
 *
 * The header's inline fast paths call these, so a program that uses them
 * needs no link to mimalloc, which would make mimalloc its malloc.  Each is a
 * GNU indirect function: the dynamic linker binds the program's call straight
 * to mimalloc's own, so it costs what a direct call to mimalloc costs.  A
 * table of function pointers did the same work through an indirect call, and
 * a batch of 64 B pairs ran ~20% slower than on mimalloc directly.  The
 * resolvers run while the program is being relocated: they may only return
 * an address.
 */
#include <mimalloc.h>

#include "internal.h"

/* mimalloc 2.0.9 serves an aligned request whose size is a multiple of the
 * alignment from the plain size class, taking such blocks to be aligned.  It
 * guarantees that only up to 128 B: the first page of a segment starts after
 * the segment's header, and a 256 B block there may sit 128 B off.  One byte
 * more sends the request through the path that checks the address. */
static void *heap_malloc_aligned(mi_heap_t *heap, size_t size, size_t alignment)
{
  if (alignment > 16 && size > 128 && size < SIZE_MAX && (size & (alignment - 1)) == 0)
    size++;
  return mi_heap_malloc_aligned(heap, size, alignment);
}

#define EXPORT(name, target)                                                  \
  __attribute__((used)) static __typeof__(&target) resolve_##name(void) { return target; } \
  __typeof__(target) tsheap__mi_##name __attribute__((ifunc("resolve_" #name)))

EXPORT(heap_malloc, mi_heap_malloc);
EXPORT(heap_zalloc, mi_heap_zalloc);
EXPORT(heap_mallocn, mi_heap_mallocn);
EXPORT(heap_calloc, mi_heap_calloc);
EXPORT(heap_realloc, mi_heap_realloc);
EXPORT(heap_malloc_aligned, heap_malloc_aligned);
EXPORT(free, mi_free);
EXPORT(usable_size, mi_usable_size);
