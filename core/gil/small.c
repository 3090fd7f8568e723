/* small.c - the small-block allocator of the GIL build (contract in small.h).
 *
 * pymalloc's design, reshaped for per-owner pools: a pool belongs to one owner
 * while it holds blocks, regions are shared.  Two departures from obmalloc.c:
 * region descriptors live outside the regions, so every pool of a region is
 * usable and small_owns() never reads memory that might not be ours; and no
 * malloc is called anywhere, because the library may itself sit under malloc.
 */
#include <tsheap/tsheap.h>   /* TSHEAP__LIKELY, TSHEAP__UNLIKELY */

#include "small.h"

#include <assert.h>
#include <string.h>
#include <sys/mman.h>

#define POOL_BITS TSHEAP_SMALL_POOL_BITS
#define POOL_SIZE ((uintptr_t)1 << POOL_BITS)
#define REGION_BITS TSHEAP_SMALL_REGION_BITS
#define REGION_SIZE ((uintptr_t)1 << REGION_BITS)
#define POOLS_PER_REGION ((unsigned)(REGION_SIZE / POOL_SIZE))
#define CLASS_SHIFT 4
#define NO_CLASS UINT32_MAX   /* szidx of a pool whose free list cannot be reused */

/* Radix map of regions: 48-bit user addresses, one slot per 1 MiB. */
#define ADDR_BITS TSHEAP_SMALL_ADDR_BITS
#define LEAF_BITS TSHEAP_SMALL_LEAF_BITS
#define TOP_BITS (ADDR_BITS - REGION_BITS - LEAF_BITS)
#define LEAF_LEN ((size_t)1 << LEAF_BITS)

_Static_assert(UINTPTR_MAX >> 63 == 1, "the radix map assumes 64-bit addresses");
_Static_assert(TSHEAP_SMALL_ALIGN == 1 << CLASS_SHIFT, "classes are found with a shift");
_Static_assert(TSHEAP_SMALL_MAX % TSHEAP_SMALL_ALIGN == 0, "whole classes");

#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

typedef struct block {
  struct block *next;
} block;

struct small_region;

/* Header at the start of every pool; blocks follow it. */
struct small_pool {
  block *freeblock;             /* head of the free list; NULL when the pool is full */
  small_owner *owner;
  uint32_t ref;                 /* live blocks; 0 while the pool is free in its region */
  uint32_t size;                /* class size */
  uint32_t nextoffset;          /* blocks below this offset have been carved */
  uint32_t maxnextoffset;       /* last offset a block fits at */
  struct small_pool *nextpool;  /* owner's used[class] list, or the region's free pools */
  struct small_pool *prevpool;
  struct small_pool *allnext;   /* owner's list of all its pools */
  struct small_pool *allprev;
  struct small_region *region;
  uint32_t szidx;
};

#define POOL_HDR \
  ((sizeof(struct small_pool) + TSHEAP_SMALL_ALIGN - 1) & ~(size_t)(TSHEAP_SMALL_ALIGN - 1))
#define POOL_OF(p) ((struct small_pool *)((uintptr_t)(p) & ~(POOL_SIZE - 1)))
#define MAX_BLOCKS ((POOL_SIZE - POOL_HDR) / TSHEAP_SMALL_ALIGN)

/* The first block is handed out and the second becomes the free list at once. */
_Static_assert((POOL_SIZE - POOL_HDR) / TSHEAP_SMALL_MAX >= 2, "two blocks per pool");
_Static_assert(POOL_HDR == TSHEAP_SMALL_POOL_HDR, "small.h states the pool header size");

struct small_region {
  char *address;
  char *pool_address;           /* next never-used pool */
  struct small_pool *freepools; /* pools used before and empty now */
  unsigned nfreepools;          /* both kinds */
  struct small_region *nextregion, *prevregion;
  struct small_region *allnext, *allprev; /* every mapped region, for small_get_totals */
};

/* usable_regions holds the regions with a free pool, sorted by nfreepools ascending
 * so that new pools come from the fullest region and the emptier ones can drain;
 * nfp2lasta[n] is the last region of that list with n free pools (CPython 3.10). */
static struct small_region *usable_regions;
static struct small_region *nfp2lasta[POOLS_PER_REGION + 1];
static struct small_region *unused_descs;
static struct small_region *all_regions;
struct small_region **small_radix_top[(size_t)1 << TOP_BITS];
static size_t nregions;
static unsigned nempty;   /* mapped regions with every pool free */
/* Holds the pools of released owners; never allocated from, so never in used lists. */
static small_owner orphan;
/* The pools of the last discarded owner, its whole list as it was (allnext),
 * handed out again before any other pool.  Handing each back to its region on
 * discard would touch every pool and unmap regions, work of the order of
 * freeing each block; the next discard hands back what is still waiting, so
 * at most one discarded owner's pools are held. */
static struct small_pool *waiting;

/* The next waiting pool; blocks it still counts went with the discard, so its
 * free list is not the whole story (NO_CLASS). */
static struct small_pool *pop_waiting(void) {
  struct small_pool *pool = waiting;
  waiting = pool->allnext;
  if (pool->ref)
    pool->szidx = NO_CLASS;
  return pool;
}

static void *map_pages(size_t len) {
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static struct small_region **radix_slot(const char *base, int create) {
  uintptr_t a = (uintptr_t)base;
  struct small_region ***top = &small_radix_top[a >> (REGION_BITS + LEAF_BITS)];
  if (!*top) {
    if (!create)
      return NULL;
    *top = map_pages(LEAF_LEN * sizeof(struct small_region *));
    if (!*top)
      return NULL;
  }
  return &(*top)[(a >> REGION_BITS) & (LEAF_LEN - 1)];
}

/* mmap only promises page alignment: try the cheap way, then over-map and trim. */
static char *map_region(void) {
  char *p = map_pages(REGION_SIZE);
  if (!p || ((uintptr_t)p & (REGION_SIZE - 1)) == 0)
    return p;
  munmap(p, REGION_SIZE);
  p = map_pages(2 * REGION_SIZE);
  if (!p)
    return NULL;
  size_t head = (size_t)(-(uintptr_t)p & (REGION_SIZE - 1));
  if (head)
    munmap(p, head);
  munmap(p + head + REGION_SIZE, REGION_SIZE - head);
  return p + head;
}

static NOINLINE struct small_region *new_region(void) {
  if (!unused_descs) {
    /* Descriptors are tiny and reused, so their pages are never returned. */
    size_t len = (size_t)1 << 16, n = len / sizeof(struct small_region);
    struct small_region *d = map_pages(len);
    if (!d)
      return NULL;
    for (size_t i = 0; i < n; i++)
      d[i].nextregion = i + 1 < n ? &d[i + 1] : NULL;
    unused_descs = d;
  }
  char *base = map_region();
  if (!base)
    return NULL;
  struct small_region **slot = (uintptr_t)base >> ADDR_BITS ? NULL : radix_slot(base, 1);
  if (!slot) {
    munmap(base, REGION_SIZE);
    return NULL;
  }
  struct small_region *ao = unused_descs;
  unused_descs = ao->nextregion;
  *slot = ao;
  ao->address = base;
  ao->pool_address = base;
  ao->freepools = NULL;
  ao->nfreepools = POOLS_PER_REGION;
  ao->nextregion = ao->prevregion = NULL;
  ao->allprev = NULL;
  ao->allnext = all_regions;
  if (all_regions)
    all_regions->allprev = ao;
  all_regions = ao;
  nregions++;
  nempty++;
  return ao;
}

static void drop_region(struct small_region *ao) {
  *radix_slot(ao->address, 0) = NULL;
  munmap(ao->address, REGION_SIZE);
  ao->address = NULL;
  if (ao->allprev)
    ao->allprev->allnext = ao->allnext;
  else
    all_regions = ao->allnext;
  if (ao->allnext)
    ao->allnext->allprev = ao->allprev;
  ao->nextregion = unused_descs;
  unused_descs = ao;
  nregions--;
}

/* Takes ao out of usable_regions; nfp2lasta is the caller's. */
static void unlink_usable(struct small_region *ao) {
  if (ao->prevregion)
    ao->prevregion->nextregion = ao->nextregion;
  else
    usable_regions = ao->nextregion;
  if (ao->nextregion)
    ao->nextregion->prevregion = ao->prevregion;
}

static struct small_pool *take_pool(void) {
  if (waiting)
    return pop_waiting();
  struct small_region *ao = usable_regions;
  if (!ao) {
    ao = new_region();
    if (!ao)
      return NULL;
    usable_regions = ao;
    nfp2lasta[ao->nfreepools] = ao;
  }
  /* ao has the fewest free pools, so it stays first and is alone at nf - 1. */
  unsigned nf = ao->nfreepools;
  if (nf == POOLS_PER_REGION)
    nempty--;
  if (nfp2lasta[nf] == ao)
    nfp2lasta[nf] = NULL;
  if (nf > 1)
    nfp2lasta[nf - 1] = ao;
  struct small_pool *pool = ao->freepools;
  if (pool) {
    ao->freepools = pool->nextpool;
  } else {
    pool = (struct small_pool *)ao->pool_address;
    ao->pool_address += POOL_SIZE;
    pool->region = ao;
    pool->szidx = NO_CLASS;
  }
  if (--ao->nfreepools == 0) {
    unlink_usable(ao);
    ao->nextregion = ao->prevregion = NULL;
  }
  return pool;
}

/* An empty pool goes back to its region.  A wholly free region stays mapped
 * while fewer than TSHEAP_SMALL_KEEP_EMPTY others are, or when it is the last
 * of usable_regions (obmalloc's rule, which keeps one); past that it is
 * unmapped.  obmalloc's one is not enough for a program whose live data
 * swings by tens of MiB: it maps and unmaps regions all the time, and each
 * new region faults in its pages afresh (bench/README.md has the figures).
 * small_trim gives them back when nothing needs them (backend_gil.c: the
 * last domain ended). */
static void give_pool(struct small_pool *pool) {
  struct small_region *ao = pool->region;
  pool->ref = 0;  /* discard hands over pools that still count blocks */
  pool->nextpool = ao->freepools;
  ao->freepools = pool;

  unsigned nf = ao->nfreepools;
  struct small_region *lastnf = nfp2lasta[nf];
  if (lastnf == ao) {
    struct small_region *p = ao->prevregion;
    nfp2lasta[nf] = p && p->nfreepools == nf ? p : NULL;
  }
  ao->nfreepools = ++nf;

  if (nf == POOLS_PER_REGION && ao->nextregion && nempty >= TSHEAP_SMALL_KEEP_EMPTY) {
    unlink_usable(ao);
    drop_region(ao);
    return;
  }
  if (nf == POOLS_PER_REGION)
    nempty++;
  if (nf == 1) {
    /* It was full, hence off the list; it now has the fewest free pools. */
    ao->prevregion = NULL;
    ao->nextregion = usable_regions;
    if (usable_regions)
      usable_regions->prevregion = ao;
    usable_regions = ao;
    if (!nfp2lasta[1])
      nfp2lasta[1] = ao;
    return;
  }
  if (!nfp2lasta[nf])
    nfp2lasta[nf] = ao;
  if (ao == lastnf)
    return;
  /* lastnf comes after ao: move ao just behind it to keep the order. */
  unlink_usable(ao);
  ao->prevregion = lastnf;
  ao->nextregion = lastnf->nextregion;
  if (ao->nextregion)
    ao->nextregion->prevregion = ao;
  lastnf->nextregion = ao;
}

static void unlink_used(small_owner *o, struct small_pool *pool) {
  if (pool->prevpool)
    pool->prevpool->nextpool = pool->nextpool;
  else
    o->used[pool->szidx] = pool->nextpool;
  if (pool->nextpool)
    pool->nextpool->prevpool = pool->prevpool;
}

static NOINLINE void *pool_extend(small_owner *o, struct small_pool *pool, block *b);

static NOINLINE void *malloc_new_pool(small_owner *o, size_t idx) {
  struct small_pool *pool = take_pool();
  if (!pool) {
    small_out_of_memory();
    return NULL;
  }
  uint32_t size = (uint32_t)((idx + 1) << CLASS_SHIFT);
  block *b;
  if (pool->szidx == idx) {
    /* As obmalloc: the pool last held this class and every block came back to
     * its free list, so the list is reused as it is. */
    b = pool->freeblock;
    pool->freeblock = b->next;
  } else {
    b = (block *)((char *)pool + POOL_HDR);
    block *f = (block *)((char *)b + size);
    f->next = NULL;
    pool->freeblock = f;
    pool->size = size;
    pool->nextoffset = (uint32_t)(POOL_HDR + 2 * size);
    pool->maxnextoffset = (uint32_t)(POOL_SIZE - size);
    pool->szidx = (uint32_t)idx;
  }
  pool->owner = o;
  pool->ref = 1;
  pool->nextpool = pool->prevpool = NULL;  /* used[idx] was empty */
  o->used[idx] = pool;
  pool->allprev = NULL;
  pool->allnext = o->all;
  if (o->all)
    o->all->allprev = pool;
  o->all = pool;
  return pool->freeblock ? b : pool_extend(o, pool, b);
}

/* The free list ran dry after taking b: carve the next block, or take the full
 * pool off used[].  Returns b so the hot path can tail-call it. */
static NOINLINE void *pool_extend(small_owner *o, struct small_pool *pool, block *b) {
  if (pool->nextoffset <= pool->maxnextoffset) {
    block *f = (block *)((char *)pool + pool->nextoffset);
    pool->nextoffset += pool->size;
    f->next = NULL;
    pool->freeblock = f;
    return b;
  }
  struct small_pool *next = pool->nextpool;  /* pool was used[szidx]'s head */
  o->used[pool->szidx] = next;
  if (next)
    next->prevpool = NULL;
  return b;
}

void *small_malloc(small_owner *o, size_t size) {
  size_t idx = (size - 1) >> CLASS_SHIFT;
  assert(size - 1 < TSHEAP_SMALL_MAX);
  struct small_pool *pool = o->used[idx];
  if (TSHEAP__UNLIKELY(!pool))
    return malloc_new_pool(o, idx);
  block *b = pool->freeblock, *next = b->next;
  pool->freeblock = next;
  pool->ref++;
  if (TSHEAP__UNLIKELY(!next))
    return pool_extend(o, pool, b);
  return b;
}

/* An owner keeps its only pool with room in a class even when that pool
 * empties, so that alloc/free loops do not cycle a pool through the region on
 * every call: at most one per owner and class, returned by discard and
 * release.  Tested on the fast path, which then needs nothing more.  A pool
 * with room is in its owner's used[] list, alone there when it has no
 * neighbour; orphan pools are in no list and point prevpool at themselves. */
static inline int kept_when_empty(const struct small_pool *pool) {
  return !pool->nextpool && !pool->prevpool;
}

/* The pool is full (not in used[]) or p is its last live block and the pool
 * is not kept: it goes back to its region. */
static NOINLINE void free_slow(struct small_pool *pool, block *b) {
  small_owner *o = pool->owner;
  block *last = pool->freeblock;
  b->next = last;
  pool->freeblock = b;
  if (--pool->ref) {
    if (o != &orphan) {
      pool->prevpool = NULL;
      pool->nextpool = o->used[pool->szidx];
      if (pool->nextpool)
        pool->nextpool->prevpool = pool;
      o->used[pool->szidx] = pool;
    }
    return;
  }
  if (last && o != &orphan)
    unlink_used(o, pool);
  if (pool->allprev)
    pool->allprev->allnext = pool->allnext;
  else
    o->all = pool->allnext;
  if (pool->allnext)
    pool->allnext->allprev = pool->allprev;
  give_pool(pool);
}

void small_free(void *p) {
  struct small_pool *pool = POOL_OF(p);
  block *b = p, *last = pool->freeblock;
  if (TSHEAP__UNLIKELY(!last) || (pool->ref == 1 && !kept_when_empty(pool))) {
    free_slow(pool, b);
    return;
  }
  b->next = last;
  pool->freeblock = b;
  pool->ref--;
}

size_t small_block_size(const void *p) {
  return POOL_OF(p)->size;
}

void small_owner_init(small_owner *o) {
  memset(o, 0, sizeof *o);
}

int small_owner_visit(small_owner *o, small_visit_fn fn, void *arg) {
  uint64_t isfree[(MAX_BLOCKS + 63) / 64];
  for (struct small_pool *pool = o->all; pool; pool = pool->allnext) {
    size_t size = pool->size;
    char *base = (char *)pool + POOL_HDR;
    /* Blocks past nextoffset were never handed out; the rest are live unless listed free. */
    size_t n = (pool->nextoffset - POOL_HDR) / size;
    memset(isfree, 0, (n + 63) / 64 * sizeof isfree[0]);
    for (block *b = pool->freeblock; b; b = b->next) {
      size_t i = (size_t)((char *)b - base) / size;
      isfree[i / 64] |= (uint64_t)1 << (i % 64);
    }
    for (size_t i = 0; i < n; i++) {
      if (isfree[i / 64] >> (i % 64) & 1)
        continue;
      int r = fn(base + i * size, size, arg);
      if (r)
        return r;
    }
  }
  return 0;
}

void small_return_waiting(void) {
  while (waiting)
    give_pool(pop_waiting());
}

/* The previous discard's pools go back to their regions; o's wait (see waiting). */
void small_owner_discard(small_owner *o) {
  small_return_waiting();
  waiting = o->all;
  small_owner_init(o);
}

void small_trim(void) {
  while (nempty > 1) {
    /* Wholly free regions sit last in usable_regions; take the very last. */
    struct small_region *ao = nfp2lasta[POOLS_PER_REGION], *prev = ao->prevregion;
    nfp2lasta[POOLS_PER_REGION] = prev && prev->nfreepools == POOLS_PER_REGION ? prev : NULL;
    unlink_usable(ao);
    drop_region(ao);
    nempty--;
  }
}

void small_owner_release(small_owner *o) {
  struct small_pool *pool = o->all;
  while (pool) {
    struct small_pool *next = pool->allnext;
    if (pool->ref) {
      pool->owner = &orphan;
      pool->prevpool = pool;  /* never kept_when_empty */
      pool->allprev = NULL;
      pool->allnext = orphan.all;
      if (orphan.all)
        orphan.all->allprev = pool;
      orphan.all = pool;
    } else {
      give_pool(pool);  /* a kept empty pool: no block will ever free it */
    }
    pool = next;
  }
  small_owner_init(o);
}

#ifdef TSHEAP_SMALL_INSPECT
void small_get_totals(small_totals *t) {
  t->regions = nregions;
  t->regions_empty = nempty;
  /* Counted here, not in the hot paths: a kept empty pool gets its first block
   * back without any bookkeeping. */
  size_t used = 0;
  for (struct small_region *ao = all_regions; ao; ao = ao->allnext)
    for (char *p = ao->address; p < ao->pool_address; p += POOL_SIZE)
      used += ((struct small_pool *)p)->ref != 0;
  for (struct small_pool *pool = waiting; pool; pool = pool->allnext)
    used -= pool->ref != 0;     /* their blocks were discarded */
  t->pools_used = used;
  size_t bytes;
  small_owner_count(&orphan, &t->orphan_blocks, &bytes);
}

void small_owner_count(const small_owner *o, size_t *blocks, size_t *bytes) {
  size_t n = 0, sum = 0;
  for (const struct small_pool *pool = o->all; pool; pool = pool->allnext) {
    n += pool->ref;
    sum += (size_t)pool->ref * pool->size;
  }
  *blocks = n;
  *bytes = sum;
}
#endif
