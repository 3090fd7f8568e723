/* series.c - the series contract (core/ft/series.h) on mimalloc 3.0.x;
 * core/ft/mimalloc.md has the facts behind each choice.
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
#include <stdlib.h>

#include "heap_live.h"
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

/* 3.0 keeps an arena's own records in its first slices, so only mimalloc
 * may drop its pages: it purges the slices a discard freed once
 * mi_option_purge_delay has passed (2.5 s), at its next purge.  A forced
 * collect purges now, every arena's freed slices at once (what else
 * mimalloc had waiting goes back early too); it needs a heap, and an empty
 * one costs nothing to collect. */
int series_arena_drop(void *start, size_t size)
{
  (void)start;
  (void)size;
  mi_heap_t *heap = mi_heap_new();
  if (heap == NULL)
    return 0;
  mi_heap_collect(heap, true);
  mi_heap_delete(heap);
  return 1;
}

/* ---- released heaps ----
 *
 * 3.0's mi_heap_delete abandons the heap's pages to their arena, and the
 * next heap of any thread that needs a fresh page of that size class takes
 * such a page in, blocks and all: a visit or the statistics of an
 * unrelated state would then count the released state's blocks as its own
 * (2.0.9 moves them to the backing heap instead).  So a released heap is
 * kept, owned by its thread and never allocated from, until its blocks are
 * freed (then it is deleted, empty) or its thread exits.  Every release
 * collects all the thread's kept heaps, which frees their emptied pages
 * and deletes the empty ones: a cost in their pages, as 2.0.9's collect of
 * the backing heap at every release.  Looking at a few at a time instead
 * lets emptied pages pile up (test_soak's resident bound catches it). */

static __thread struct {
  mi_heap_t **heap;
  size_t n, cap;
} kept;

static void sweep(void)
{
  for (size_t at = 0; at < kept.n;) {
    if (!heap_has_live_blocks(kept.heap[at])) {
      mi_heap_delete(kept.heap[at]);
      kept.heap[at] = kept.heap[--kept.n];
    } else {
      at++;
    }
  }
}

void series_heap_release(mi_heap_t *heap)
{
  sweep();
  if (kept.n == kept.cap) {
    size_t cap = kept.cap ? 2 * kept.cap : 8;
    mi_heap_t **grown = realloc(kept.heap, cap * sizeof *grown);
    if (grown == NULL) {
      mi_heap_delete(heap);   /* no memory to keep it: its pages go to the arena */
      return;
    }
    kept.heap = grown;
    kept.cap = cap;
  }
  kept.heap[kept.n++] = heap;
}

void series_thread_exit(void)
{
  while (kept.n > 0)
    mi_heap_delete(kept.heap[--kept.n]);
  free(kept.heap);
  kept.heap = NULL;
  kept.cap = 0;
}

/* mimalloc 3.0.1 registers a page in its page map only when it has one, but
 * hands out the page's blocks either way, and mi_free reads the map without
 * a check; mi_is_in_heap_region reads it with one. */
int series_can_free(const void *block) { return mi_is_in_heap_region(block); }

void *series_heap_malloc_aligned(mi_heap_t *heap, size_t size, size_t alignment)
{
  return mi_heap_malloc_aligned(heap, size, alignment);   /* 3.0 checks the address itself */
}

/* tsheap_fast_series.h has no 3.0 layout yet. */
uintptr_t series_fast_thread(void) { return 0; }
