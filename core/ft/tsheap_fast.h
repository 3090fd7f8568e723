/* tsheap_fast.h - the free-threaded build's allocation and free in place,
 * shared by every mimalloc series; <tsheap/tsheap.h> includes it.  Not a
 * header of its own: include <tsheap/tsheap.h>.
 *
 * A small block comes from, and goes back to, a mimalloc page's free list
 * in place, through the layout of the series the library was built on
 * (tsheap_fast_series.h, one per series: core/ft/mimalloc2/, mimalloc3/).
 * The library checks that layout against the mimalloc it runs on before a
 * thread may use it; the thread's value is 0 until then, and 0 sends every
 * path to mimalloc's own functions, which the library exports under its
 * names (core/ft/exports.c): a program that uses them does not link
 * mimalloc itself, so it keeps its own malloc.
 */
#ifndef TSHEAP_FAST_H
#define TSHEAP_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "tsheap_fast_series.h"

struct mi_heap_s;

/* mimalloc's functions the header calls, as X(return type, name, params):
 * the library exports each as tsheap__mi_<name>, bound to mimalloc's own,
 * and tsheap__mi_heap_malloc_aligned, its series' own (exports.c).  A change
 * here is a new ABI: bump FAST_PATH_LAYOUT in codegen/load.lua. */
#define TSHEAP__MI_EXPORTS(X)                                                      \
  X(void *, heap_malloc, (struct mi_heap_s *heap, size_t size))                    \
  X(void *, heap_zalloc, (struct mi_heap_s *heap, size_t size))                    \
  X(void *, heap_mallocn, (struct mi_heap_s *heap, size_t count, size_t size))     \
  X(void *, heap_calloc, (struct mi_heap_s *heap, size_t count, size_t size))      \
  X(void *, heap_realloc, (struct mi_heap_s *heap, void *block, size_t size))      \
  X(void, free, (void *block))                                                     \
  X(size_t, usable_size, (const void *block))

#define TSHEAP__MI_DECLARE(ret, name, params) \
  __attribute__((visibility("default"))) ret tsheap__mi_##name params;
TSHEAP__MI_EXPORTS(TSHEAP__MI_DECLARE)
TSHEAP__MI_DECLARE(void *, heap_malloc_aligned, (struct mi_heap_s *heap, size_t size, size_t alignment))
#undef TSHEAP__MI_DECLARE

/* A block from the thread's own heap (thread: the thread's value, 0 for
 * none): from the page in place when it can. */
static inline void *tsheap__mi_malloc_inline(struct mi_heap_s *heap, size_t size, uintptr_t thread)
{
  void *ts_block;
  if (TSHEAP__MI_INLINE && size <= tsheap__mi_small_max && thread != 0 &&
      (ts_block = tsheap__mi_pop(heap, size)) != NULL)
    return ts_block;
  return tsheap__mi_heap_malloc(heap, size);
}

/* Any block, from any thread: onto the page in place when it can. */
static inline void tsheap__mi_free_inline(void *block, uintptr_t thread)
{
  if (!TSHEAP__MI_INLINE || thread == 0 || block == NULL || !tsheap__mi_push(block, thread))
    tsheap__mi_free(block);
}

/* A block's usable size; 0 for NULL, which mimalloc must not see either. */
static inline size_t tsheap__mi_block_size(const void *block)
{
  return block == NULL ? 0 : tsheap__mi_usable_size(block);
}

#endif
