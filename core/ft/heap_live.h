/* heap_live.h - whether a mimalloc heap still holds a live block: the
 * release that decides between keeping and destroying a heap (backend_ft.c),
 * and the series that keep released heaps until they empty (mimalloc3/). */
#ifndef TSHEAP_HEAP_LIVE_H
#define TSHEAP_HEAP_LIVE_H

#include <mimalloc.h>
#include <stdbool.h>

static bool heap_live_area(const mi_heap_t *heap, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
  (void)heap;
  (void)block;
  (void)size;
  if (area->used != 0)
    *(bool *)arg = true;
  return area->used == 0;
}

/* Takes in the frees other threads left first: a block they freed is not
 * live.  The pages' counts answer, without a walk of their blocks. */
static inline bool heap_has_live_blocks(mi_heap_t *heap)
{
  bool live = false;
  mi_heap_collect(heap, false);
  mi_heap_visit_blocks(heap, false, heap_live_area, &live);
  return live;
}

#endif
