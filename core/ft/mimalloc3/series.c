/* series.c - the series contract (core/ft/series.h) on mimalloc 3.0.x;
 * docs/mimalloc.md has the facts behind each choice.
 *
 * A 3.0 heap made by mi_heap_new claims no abandoned page when a thread
 * frees into one, but any heap, no_reclaim or not, claims abandoned pages
 * of its size class from the arenas it may use whenever it needs a fresh
 * page (mi_arenas_page_regular_alloc), and destroying it would then free a
 * dead thread's live blocks.  Discardable domains therefore still live in
 * exclusive arenas, where only the arena's own heap looks.  3.0's
 * mi_heap_new_in_arena makes a heap that reclaims and may not be
 * destroyed (mi_heap_destroy falls back to mi_heap_delete with a
 * warning), so the heap is made with mi_heap_new_ex instead.
 */
#include "series.h"

/* Not committed: 3.0 commits an arena's pages as they are used, and
 * purges the pages of freed slices itself, mi_option_purge_delay after
 * the free, which an exclusive arena gets too. */
int series_arena_reserve(size_t size, mi_arena_id_t *id, void **start, size_t *got)
{
  if (mi_reserve_os_memory_ex(size, false, false, true, id) != 0)
    return -1;
  *start = mi_arena_area(*id, got);
  return 0;
}

mi_heap_t *series_heap_in_arena(mi_arena_id_t arena)
{
  return mi_heap_new_ex(0, true, arena);   /* tag 0, destroy allowed: it never reclaims */
}

/* mimalloc purges; the arena also holds its own records in its first
 * slices, which must never be dropped from under it. */
int series_arena_drop(void *start, size_t size)
{
  (void)start;
  (void)size;
  return 0;
}

void *series_heap_malloc_aligned(mi_heap_t *heap, size_t size, size_t alignment)
{
  return mi_heap_malloc_aligned(heap, size, alignment);   /* 3.0 checks the address itself */
}

/* tsheap_fast_series.h has no 3.0 layout yet. */
uintptr_t series_fast_thread(void) { return 0; }
