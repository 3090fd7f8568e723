/* series.c - the series contract (core/ft/series.h) on mimalloc 2.0.9;
 * core/ft/mimalloc.md has the facts behind each choice.
 *
 * Discardable domains live in exclusive arenas because a 2.0.9 heap
 * reclaims abandoned segments of dead threads whatever its no_reclaim says
 * (mi_segment_try_reclaim), and destroying it would then free their live
 * blocks; a heap in an exclusive arena reclaims only its arena's segments.
 */
#include <sys/mman.h>

#include "series.h"

/* Committed at reservation, which 2.0.9 treats as pinned: it keeps no
 * decommit bookkeeping for the pages (a commit mask, an option read and a
 * clock read for every page freed: two thirds of a discard), and never
 * gives them back either, so series_arena_drop does.  2.0.9 publishes an
 * arena before setting its id, a window in which another thread's new
 * segment can land in it under no id: one more reason the pool reuses
 * arenas rather than make new ones. */
int series_arena_reserve(size_t size, mi_arena_id_t *id, void **start, size_t *got)
{
  if (mi_reserve_os_memory_ex(size, true, false, true, id) != 0)
    return -1;
  *start = mi_arena_area(*id, got);
  return 0;
}

mi_heap_t *series_heap_in_arena(mi_arena_id_t arena) { return mi_heap_new_in_arena(arena); }

/* The arena's whole area: 2.0.9 keeps its own records of an arena outside it. */
int series_arena_drop(void *start, size_t size)
{
  (void)madvise(start, size, MADV_DONTNEED);   /* cannot fail on mimalloc's mapping */
  return 1;
}

/* 2.0.9's mi_heap_delete moves the pages to the thread's backing heap,
 * which tsheap never allocates from or visits: collect it too, or pages
 * emptied by later frees would stay there for the thread's life. */
void series_heap_release(mi_heap_t *heap)
{
  mi_heap_delete(heap);
  mi_heap_collect(mi_heap_get_backing(), false);
}

void series_thread_exit(void) {}

int series_can_free(const void *block)
{
  (void)block;
  return 1;   /* 2.0.9 finds a block's page from the block's own address */
}

/* 2.0.9 serves an aligned request whose size is a multiple of the
 * alignment from the plain size class, taking such blocks to be aligned.  It
 * guarantees that only up to 128 B: the first page of a segment starts after
 * the segment's header, and a 256 B block there may sit 128 B off.  One byte
 * more sends the request through the path that checks the address. */
void *series_heap_malloc_aligned(mi_heap_t *heap, size_t size, size_t alignment)
{
  if (alignment > 16 && size > 128 && size < SIZE_MAX && (size & (alignment - 1)) == 0)
    size++;
  return mi_heap_malloc_aligned(heap, size, alignment);
}
