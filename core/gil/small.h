/* small.h - small-block allocator of the GIL build.
 *
 * Blocks of 1..TSHEAP_SMALL_MAX bytes come from size classes 16 bytes apart,
 * carved from 16 KiB pools inside 1 MiB regions mapped from the OS, the way CPython's
 * pymalloc works (Objects/obmalloc.c, where the regions are called arenas; in
 * tsheap an arena is always mimalloc's).  Every pool belongs to one owner (a thread
 * state's domain), so an owner can be visited, discarded or released on its own.
 * Regions are shared by all owners; a region whose pools are all free goes back to the OS
 * once TSHEAP_SMALL_KEEP_EMPTY others are kept free for reuse.
 * A discard keeps its owner's pools for the next pools asked for, until the next discard.
 *
 * Nothing here locks: the GIL build calls every function with its global lock held.
 * Hand-written because no Debian library offers per-owner pools with whole-owner
 * discard; mimalloc covers the blocks above TSHEAP_SMALL_MAX.
 */
#ifndef TSHEAP_SMALL_H
#define TSHEAP_SMALL_H

#include <stddef.h>
#include <stdint.h>

#define TSHEAP_SMALL_MAX 512
#define TSHEAP_SMALL_ALIGN 16
#define TSHEAP_SMALL_CLASSES (TSHEAP_SMALL_MAX / TSHEAP_SMALL_ALIGN)

struct small_pool;

/* One owner per state and domain, embedded by value in the state.  It keeps
 * no block counters: the pools count their blocks, so allocation and free
 * update nothing else. */
typedef struct small_owner {
  struct small_pool *used[TSHEAP_SMALL_CLASSES]; /* pools with a free block, per class */
  struct small_pool *all;                        /* every pool of this owner */
} small_owner;

typedef int (*small_visit_fn)(void *block, size_t size, void *arg);

void   small_owner_init(small_owner *o);
void  *small_malloc(small_owner *o, size_t size);   /* 1 <= size <= SMALL_MAX; NULL if the OS refuses */
/* Defined by the user of small.c: small_malloc calls it before returning NULL,
 * so that a caller can tail-call small_malloc and still report the failure. */
void   small_out_of_memory(void);
void   small_free(void *p);                         /* p: small_owns(p) and live */
size_t small_block_size(const void *p);             /* the class size of p */
int    small_owner_visit(small_owner *o, small_visit_fn fn, void *arg);
void   small_owner_discard(small_owner *o);         /* every block of o freed at once, in O(1) */
void   small_return_waiting(void);                  /* the last discard's pools back to their regions */
void   small_owner_release(small_owner *o);         /* blocks stay valid; small_free frees them later */
/* Unmap the wholly free regions kept for reuse, bar one (obmalloc's rule). */
void   small_trim(void);

#ifdef TSHEAP_SMALL_INSPECT
/* For test_small and the API fuzzer, which compile small.c themselves with
 * TSHEAP_SMALL_INSPECT defined; the library has neither function. */
typedef struct small_totals {
  size_t regions;       /* regions mapped from the OS now */
  size_t regions_empty; /* of those, the ones kept with every pool free */
  size_t pools_used;    /* pools holding at least one live block */
  size_t orphan_blocks; /* live blocks of released owners */
} small_totals;

void   small_get_totals(small_totals *t);
/* Live blocks of o and the sum of their class sizes, from the pools' counts. */
void   small_owner_count(const small_owner *o, size_t *blocks, size_t *bytes);
#endif

/* small_owns(p): 1 if p lies in the block area of one of our pools, live or
 * not.  Inline because every free asks it; it reads only the radix map from
 * 1 MiB address ranges to regions, never memory that may not be ours. */
#define TSHEAP_SMALL_POOL_BITS 14
#define TSHEAP_SMALL_REGION_BITS 20
#define TSHEAP_SMALL_LEAF_BITS 14
#define TSHEAP_SMALL_ADDR_BITS 48
#define TSHEAP_SMALL_POOL_HDR 80     /* the pool header; small.c checks its size */
#define TSHEAP_SMALL_KEEP_EMPTY 16   /* wholly free regions kept mapped for reuse */

struct small_region;
extern struct small_region **small_radix_top[];

static inline int small_owns(const void *p)
{
  uintptr_t a = (uintptr_t)p;
  if ((a & (((uintptr_t)1 << TSHEAP_SMALL_POOL_BITS) - 1)) < TSHEAP_SMALL_POOL_HDR ||
      a >> TSHEAP_SMALL_ADDR_BITS)
    return 0;
  struct small_region **leaf = small_radix_top[a >> (TSHEAP_SMALL_REGION_BITS + TSHEAP_SMALL_LEAF_BITS)];
  return leaf != NULL && leaf[(a >> TSHEAP_SMALL_REGION_BITS) & (((uintptr_t)1 << TSHEAP_SMALL_LEAF_BITS) - 1)] != NULL;
}

#endif
