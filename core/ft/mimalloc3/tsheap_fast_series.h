/* tsheap_fast_series.h - mimalloc 3.0.x: no layout of its own yet, so
 * every path of tsheap_fast.h calls mimalloc.  3.0 finds a block's page
 * through a process-wide page map rather than a segment header, and its
 * page record is another shape; until both are written down here and
 * checked as 2.0.9's are (core/ft/mimalloc2/), the inline paths stay off.
 */
#ifndef TSHEAP_FAST_SERIES_H
#define TSHEAP_FAST_SERIES_H

#include <stddef.h>
#include <stdint.h>

#define TSHEAP__MI_INLINE 0

struct mi_heap_s;

enum { tsheap__mi_small_max = 0 };

static inline void *tsheap__mi_pop(struct mi_heap_s *heap, size_t size)
{
  (void)heap;
  (void)size;
  return NULL;
}

static inline int tsheap__mi_push(void *block, uintptr_t thread)
{
  (void)block;
  (void)thread;
  return 0;
}

#endif
