/* arena.h - small-block allocator of the GIL build.
 *
 * Blocks of 1..TSHEAP_ARENA_SMALL_MAX bytes come from size classes 16 bytes apart,
 * carved from 16 KiB pools inside 1 MiB arenas mapped from the OS, the way CPython's
 * pymalloc works (Objects/obmalloc.c).  Every pool belongs to one owner (a thread
 * state's domain), so an owner can be visited, discarded or released on its own.
 * Arenas are shared by all owners; an arena whose pools are all free goes back to the OS
 * once TSHEAP_ARENA_KEEP_EMPTY others are kept free for reuse.
 * A discard keeps its owner's pools for the next pools asked for, until the next discard.
 *
 * Nothing here locks: the GIL build calls every function with its global lock held.
 * Hand-written because no Debian library offers per-owner pools with whole-owner
 * discard; mimalloc covers the blocks above TSHEAP_ARENA_SMALL_MAX.
 */
#ifndef TSHEAP_ARENA_H
#define TSHEAP_ARENA_H

#include <stddef.h>
#include <stdint.h>

#define TSHEAP_ARENA_SMALL_MAX 512
#define TSHEAP_ARENA_ALIGN 16
#define TSHEAP_ARENA_CLASSES (TSHEAP_ARENA_SMALL_MAX / TSHEAP_ARENA_ALIGN)

struct arena_pool;

/* One owner per state and domain, embedded by value in the state.  It keeps
 * no block counters: the pools count their blocks, and arena_owner_count
 * adds them up when asked, so allocation and free update nothing else. */
typedef struct arena_owner {
  struct arena_pool *used[TSHEAP_ARENA_CLASSES]; /* pools with a free block, per class */
  struct arena_pool *all;                        /* every pool of this owner */
} arena_owner;

typedef int (*arena_visit_fn)(void *block, size_t size, void *arg);

typedef struct arena_totals {
  size_t arenas;      /* arenas mapped from the OS now */
  size_t arenas_empty; /* of those, the ones kept with every pool free */
  size_t pools_used;  /* pools holding at least one live block */
  size_t orphan_blocks; /* live blocks of released owners */
} arena_totals;

void   arena_owner_init(arena_owner *o);
void  *arena_malloc(arena_owner *o, size_t size);   /* 1 <= size <= SMALL_MAX; NULL if the OS refuses */
/* Defined by the user of arena.c: arena_malloc calls it before returning NULL,
 * so that a caller can tail-call arena_malloc and still report the failure. */
void   arena_out_of_memory(void);
void   arena_free(void *p);                         /* p: arena_owns(p) and live */
size_t arena_block_size(const void *p);             /* the class size of p */
int    arena_owner_visit(arena_owner *o, arena_visit_fn fn, void *arg);
/* Live blocks of o and the sum of their class sizes, from the pools' counts. */
void   arena_owner_count(const arena_owner *o, size_t *blocks, size_t *bytes);
void   arena_owner_discard(arena_owner *o);         /* every block of o freed at once, in O(1) */
void   arena_return_waiting(void);                  /* the last discard's pools back to their arenas */
void   arena_owner_release(arena_owner *o);         /* blocks stay valid; arena_free frees them later */
void   arena_get_totals(arena_totals *t);
/* Unmap the wholly free arenas kept for reuse, bar one (obmalloc's rule). */
void   arena_trim(void);

/* arena_owns(p): 1 if p lies in the block area of one of our pools, live or
 * not.  Inline because every free asks it; it reads only the radix map from
 * 1 MiB address ranges to arenas, never memory that may not be ours. */
#define TSHEAP_ARENA_POOL_BITS 14
#define TSHEAP_ARENA_BITS 20
#define TSHEAP_ARENA_LEAF_BITS 14
#define TSHEAP_ARENA_ADDR_BITS 48
#define TSHEAP_ARENA_POOL_HDR 80     /* the pool header; arena.c checks its size */
#define TSHEAP_ARENA_KEEP_EMPTY 16   /* wholly free arenas kept mapped for reuse */

struct arena_object;
extern struct arena_object **arena_radix_top[];

static inline int arena_owns(const void *p)
{
  uintptr_t a = (uintptr_t)p;
  if ((a & (((uintptr_t)1 << TSHEAP_ARENA_POOL_BITS) - 1)) < TSHEAP_ARENA_POOL_HDR ||
      a >> TSHEAP_ARENA_ADDR_BITS)
    return 0;
  struct arena_object **leaf = arena_radix_top[a >> (TSHEAP_ARENA_BITS + TSHEAP_ARENA_LEAF_BITS)];
  return leaf != NULL && leaf[(a >> TSHEAP_ARENA_BITS) & (((uintptr_t)1 << TSHEAP_ARENA_LEAF_BITS) - 1)] != NULL;
}

#endif
