/* series.h - what the free-threaded backend needs of mimalloc that its
 * series do differently, as mimalloc keeps each platform behind
 * src/prim/prim.h.  One file a series implements it: mimalloc2/series.c
 * (2.0.9, Debian 12) and mimalloc3/series.c (3.0.x, Debian 13); CMake
 * builds the one whose mimalloc it found.  core/ft/mimalloc.md says what each
 * series forces.
 */
#ifndef TSHEAP_SERIES_H
#define TSHEAP_SERIES_H

#include <mimalloc.h>
#include <stddef.h>
#include <stdint.h>

/* Reserves an exclusive arena of size bytes for discardable domains: 0 and
 * its id, its start and its size, or -1. */
int series_arena_reserve(size_t size, mi_arena_id_t *id, void **start, size_t *got);

/* A heap in an exclusive arena that mi_heap_destroy may destroy: it never
 * takes in a page of another heap or thread. */
mi_heap_t *series_heap_in_arena(mi_arena_id_t arena);

/* Gives the pages of an idle arena, with nothing live in it, back to the
 * OS; 0 when mimalloc does that itself. */
int series_arena_drop(void *start, size_t size);

/* Ends the heap of a domain released with blocks still live, on its owner
 * thread: the blocks stay valid, and no other heap of the process may ever
 * show them as its own in a visit. */
void series_heap_release(mi_heap_t *heap);

/* The owner thread is exiting, before mimalloc's own exit hook runs: let
 * go of every heap series_heap_release kept. */
void series_thread_exit(void);

/* Whether mimalloc can take back a block it just gave: 3.0.1 hands out
 * blocks it cannot free when it could not map its page map. */
int series_can_free(const void *block);

/* mi_heap_malloc_aligned, with whatever the series needs to keep its promise. */
void *series_heap_malloc_aligned(mi_heap_t *heap, size_t size, size_t alignment);

/* The calling thread's value for the header's inline paths when the
 * series' layout (its fast.h) holds for the mimalloc this process runs,
 * checked once; 0 keeps every path a call into mimalloc. */
uintptr_t series_fast_thread(void);

#endif
