/* test_small.c - standalone tests of core/small.c (the GIL build's small-block allocator).
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -Icore core/small.c tests/c/test_small.c
 * Exit status 0 when every check holds; otherwise the first failing check is printed.
 */
#include "small.h"

static int out_of_memory_calls;
void small_out_of_memory(void) { out_of_memory_calls++; }

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHECK(c)                                                          \
  do {                                                                    \
    if (!(c)) {                                                           \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
      return 1;                                                           \
    }                                                                     \
  } while (0)

/* Geometry the contract states: 16 KiB pools in 1 MiB regions. */
#define POOL_SIZE ((uintptr_t)16384)
#define REGION_SIZE ((uintptr_t)1 << 20)
#define POOL_BASE(p) ((uintptr_t)(p) & ~(POOL_SIZE - 1))
#define REGION_BASE(p) ((uintptr_t)(p) & ~(REGION_SIZE - 1))

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static size_t class_of(size_t n) {
  return (n + 15) & ~(size_t)15;
}

static unsigned char pattern(uint32_t tag, size_t i) {
  uint32_t h = tag * 2654435761u;
  return (unsigned char)(h ^ (h >> 15) ^ (i * 131u) ^ (i >> 8));
}

static void fill(void *p, size_t n, uint32_t tag) {
  unsigned char *c = p;
  for (size_t i = 0; i < n; i++)
    c[i] = pattern(tag, i);
}

static int intact(const void *p, size_t n, uint32_t tag) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++)
    if (c[i] != pattern(tag, i))
      return 0;
  return 1;
}

static int cmp_uptr(const void *a, const void *b) {
  uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
  return x < y ? -1 : x > y;
}

static size_t live_blocks(const small_owner *o) {
  size_t blocks, bytes;
  small_owner_count(o, &blocks, &bytes);
  return blocks;
}

static size_t live_bytes(const small_owner *o) {
  size_t blocks, bytes;
  small_owner_count(o, &blocks, &bytes);
  return bytes;
}

/* A discard leaves its pools waiting for reuse until the next discard: the
 * discard of an empty owner hands them back to their regions. */
static void hand_back_waiting(void) {
  small_owner o;
  small_owner_init(&o);
  small_owner_discard(&o);
}

/* Fully empty, as after init, discard or release; an owner that merely freed all its
 * blocks may still keep one empty pool per class. */
static int owner_empty(const small_owner *o) {
  for (int i = 0; i < TSHEAP_SMALL_CLASSES; i++)
    if (o->used[i])
      return 0;
  return !o->all;
}

/* A fresh owner hands out blocks that fit their class and never overlap. */
static int test_sizes(void) {
  enum { PER = 3, N = TSHEAP_SMALL_MAX * PER };
  static void *p[N];
  static uintptr_t span[N][2];
  small_owner o;
  small_totals t0, t;
  small_get_totals(&t0);
  small_owner_init(&o);
  CHECK(owner_empty(&o));

  size_t bytes = 0;
  for (size_t s = 1, k = 0; s <= TSHEAP_SMALL_MAX; s++) {
    for (int j = 0; j < PER; j++, k++) {
      p[k] = small_malloc(&o, s);
      CHECK(p[k] != NULL);
      CHECK(((uintptr_t)p[k] & (TSHEAP_SMALL_ALIGN - 1)) == 0);
      CHECK(small_block_size(p[k]) == class_of(s));
      CHECK(small_owns(p[k]));
      CHECK(small_owns((char *)p[k] + class_of(s) - 1));
      /* A block never straddles a pool nor sits in its header. */
      CHECK(POOL_BASE(p[k]) == POOL_BASE((char *)p[k] + class_of(s) - 1));
      CHECK((uintptr_t)p[k] - POOL_BASE(p[k]) >= 16);
      fill(p[k], class_of(s), (uint32_t)k);
      bytes += class_of(s);
    }
  }
  CHECK(live_blocks(&o) == N);
  CHECK(live_bytes(&o) == bytes);
  for (size_t k = 0; k < N; k++) {
    CHECK(intact(p[k], small_block_size(p[k]), (uint32_t)k));
    span[k][0] = (uintptr_t)p[k];
    span[k][1] = (uintptr_t)p[k] + small_block_size(p[k]);
  }
  qsort(span, N, sizeof span[0], cmp_uptr);
  for (size_t k = 1; k < N; k++)
    CHECK(span[k - 1][1] <= span[k][0]);

  for (size_t k = 0; k < N; k += 2)
    small_free(p[k]);
  for (size_t k = 1; k < N; k += 2)
    CHECK(intact(p[k], small_block_size(p[k]), (uint32_t)k));
  for (size_t k = 1; k < N; k += 2)
    small_free(p[k]);
  CHECK(live_blocks(&o) == 0 && live_bytes(&o) == 0);
  small_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  small_owner_discard(&o);
  CHECK(owner_empty(&o));
  small_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  CHECK(t.regions <= t0.regions + 1);
  return 0;
}

static int test_counters(void) {
  small_owner o;
  small_owner_init(&o);
  void *a = small_malloc(&o, 1), *b = small_malloc(&o, 16), *c = small_malloc(&o, 17);
  void *d = small_malloc(&o, 512);
  CHECK(a && b && c && d);
  CHECK(live_blocks(&o) == 4);
  CHECK(live_bytes(&o) == 16 + 16 + 32 + 512);
  CHECK(small_block_size(a) == 16 && small_block_size(c) == 32 && small_block_size(d) == 512);
  small_free(c);
  CHECK(live_blocks(&o) == 3 && live_bytes(&o) == 16 + 16 + 512);
  small_free(a);
  small_free(d);
  CHECK(live_blocks(&o) == 1 && live_bytes(&o) == 16);
  /* A freed block is reused before the pool grows. */
  void *e = small_malloc(&o, 10);
  CHECK(e == a);
  small_free(b);
  small_free(e);
  CHECK(live_blocks(&o) == 0 && live_bytes(&o) == 0);

  /* Fill two pools until a third opens.  Blocks freed in the full pools are handed
   * out again, both of them, before any untouched block or new pool. */
  static char *q[128];
  small_totals t0, t;
  int n = 0, pools = 1;
  q[n++] = small_malloc(&o, 500);
  CHECK(q[0] != NULL);
  while (pools < 3) {
    CHECK(n < 128);
    q[n] = small_malloc(&o, 500);
    CHECK(q[n] != NULL);
    pools += POOL_BASE(q[n]) != POOL_BASE(q[n - 1]);
    n++;
  }
  char *in_a = q[1], *in_b = q[n - 2];
  CHECK(POOL_BASE(in_a) != POOL_BASE(in_b) && POOL_BASE(in_b) != POOL_BASE(q[n - 1]));
  small_free(in_a);
  small_free(in_b);
  small_get_totals(&t0);
  char *x = small_malloc(&o, 512), *y = small_malloc(&o, 512);
  CHECK((x == in_a && y == in_b) || (x == in_b && y == in_a));
  small_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  CHECK(live_blocks(&o) == (size_t)n && live_bytes(&o) == (size_t)n * 512);
  small_owner_discard(&o);
  CHECK(owner_empty(&o));
  return 0;
}

/* Freeing the last block of an owner's only pool with room keeps that pool, so an
 * alloc/free loop does not cycle it through its region; discard or release return it. */
static int test_kept_pool(void) {
  small_owner o, other;
  small_totals t0, t;
  small_get_totals(&t0);
  small_owner_init(&o);
  small_owner_init(&other);
  char *first = small_malloc(&o, 64);
  CHECK(first != NULL);
  small_free(first);
  small_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used); /* kept, but holding no live block */
  CHECK(o.all != NULL && live_blocks(&o) == 0);
  for (int i = 0; i < 1000; i++) {
    char *p = small_malloc(&o, 64);
    CHECK(POOL_BASE(p) == POOL_BASE(first));
    small_get_totals(&t);
    CHECK(t.pools_used == t0.pools_used + 1);
    small_free(p);
  }
  /* Another owner never gets the kept pool. */
  char *q = small_malloc(&other, 64);
  CHECK(POOL_BASE(q) != POOL_BASE(first));
  small_free(q);

  /* Two pools with room: the one that empties goes back, only one is kept. */
  static char *b[200];
  int n = 0;
  do {
    CHECK(n < 200);
    b[n] = small_malloc(&o, 512);
    CHECK(b[n] != NULL);
  } while (POOL_BASE(b[n++]) == POOL_BASE(b[0]));
  small_free(b[1]); /* pool 1 has room again: two pools in the used list */
  for (int i = 0; i < n; i++)
    if (i != 1)
      small_free(b[i]);
  small_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  /* The pool given back is the first one the region hands out again. */
  char *x = small_malloc(&other, 512);
  CHECK(x != NULL);
  CHECK(POOL_BASE(x) == POOL_BASE(b[0]) || POOL_BASE(x) == POOL_BASE(b[n - 1]));
  char *y = small_malloc(&o, 512);
  CHECK(POOL_BASE(y) != POOL_BASE(x));
  CHECK(POOL_BASE(y) == POOL_BASE(b[0]) || POOL_BASE(y) == POOL_BASE(b[n - 1]));
  small_free(x);
  small_free(y);

  small_owner_release(&o);
  small_owner_release(&other);
  CHECK(owner_empty(&o) && owner_empty(&other));

  /* A released owner's only pool in a class is not kept when its last block
   * is freed: it goes back, the first pool the region hands out again. */
  char *r1 = small_malloc(&o, 48), *r2 = small_malloc(&o, 48);
  CHECK(r1 && r2 && POOL_BASE(r1) == POOL_BASE(r2));
  small_owner_release(&o);
  small_free(r2);
  small_free(r1);
  char *s = small_malloc(&other, 48);
  CHECK(POOL_BASE(s) == POOL_BASE(r1));
  small_free(s);
  small_owner_release(&other);

  small_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  CHECK(t.orphan_blocks == t0.orphan_blocks);
  CHECK(t.regions <= t0.regions + 1);
  return 0;
}

static int not_ours_static;

static int test_owns(void) {
  small_owner o;
  int local = 0;
  small_owner_init(&o);
  CHECK(!small_owns(NULL));
  CHECK(!small_owns(&local));
  CHECK(!small_owns(&not_ours_static));
  CHECK(!small_owns((const void *)(uintptr_t)1));
  CHECK(!small_owns((const void *)~(uintptr_t)0));
  CHECK(!small_owns((const void *)(((uintptr_t)1 << 48) + 4096)));
  void *m = malloc(64);
  CHECK(m != NULL);
  CHECK(!small_owns(m));
  free(m);
  void *big = malloc((size_t)4 << 20); /* glibc maps this on its own */
  CHECK(big != NULL);
  CHECK(!small_owns(big));
  CHECK(!small_owns((char *)big + (2u << 20)));
  free(big);

  /* The first block of a new owner's class opens a pool: below it lies the header. */
  char *p = small_malloc(&o, 48);
  CHECK(p != NULL);
  CHECK(small_owns(p));
  CHECK(small_owns(p + 47));
  char *pool = (char *)POOL_BASE(p);
  CHECK(p - pool >= 16);
  for (char *h = pool; h < p; h++)
    CHECK(!small_owns(h));
  char *q = small_malloc(&o, 48);
  CHECK(q == p + 48);
  CHECK(small_owns(q));
  /* Freed blocks are still ours. */
  small_free(q);
  CHECK(small_owns(q));
  small_free(p);
  small_owner_discard(&o);
  return 0;
}

/* Pools never mix owners, and each owner's counters follow its own blocks. */
static int test_owners_interleaved(void) {
  enum { OWNERS = 8, N = 6000 };
  struct blk {
    char *p;
    int owner;
    uint32_t tag;
  };
  static small_owner o[OWNERS];
  static struct blk b[N];
  static uintptr_t pools[N][2];
  size_t bytes[OWNERS] = {0}, count[OWNERS] = {0};
  small_totals t0, t;
  small_get_totals(&t0);
  for (int i = 0; i < OWNERS; i++)
    small_owner_init(&o[i]);

  for (int k = 0; k < N; k++) {
    int w = k % OWNERS;
    size_t s = 1 + (size_t)(rnd() % 160);
    b[k].p = small_malloc(&o[w], s);
    CHECK(b[k].p != NULL);
    b[k].owner = w;
    b[k].tag = (uint32_t)rnd();
    fill(b[k].p, class_of(s), b[k].tag);
    bytes[w] += class_of(s);
    count[w]++;
    pools[k][0] = POOL_BASE(b[k].p);
    pools[k][1] = (uintptr_t)w;
  }
  for (int i = 0; i < OWNERS; i++)
    CHECK(live_blocks(&o[i]) == count[i] && live_bytes(&o[i]) == bytes[i]);
  qsort(pools, N, sizeof pools[0], cmp_uptr);
  for (int k = 1; k < N; k++)
    if (pools[k][0] == pools[k - 1][0])
      CHECK(pools[k][1] == pools[k - 1][1]);

  /* Free in a shuffled order, checking contents and counters on the way. */
  for (int k = N - 1; k > 0; k--) {
    int j = (int)(rnd() % (uint64_t)(k + 1));
    struct blk tmp = b[k];
    b[k] = b[j];
    b[j] = tmp;
  }
  for (int k = 0; k < N; k++) {
    size_t sz = small_block_size(b[k].p);
    CHECK(intact(b[k].p, sz, b[k].tag));
    small_free(b[k].p);
    bytes[b[k].owner] -= sz;
    count[b[k].owner]--;
    if (k % 97 == 0)
      for (int i = 0; i < OWNERS; i++)
        CHECK(live_blocks(&o[i]) == count[i] && live_bytes(&o[i]) == bytes[i]);
  }
  small_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  for (int i = 0; i < OWNERS; i++) {
    CHECK(live_blocks(&o[i]) == 0 && live_bytes(&o[i]) == 0);
    small_owner_discard(&o[i]);
    CHECK(owner_empty(&o[i]));
  }
  small_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  CHECK(t.regions <= t0.regions + 1);
  return 0;
}

struct seen {
  uintptr_t (*v)[2];
  size_t n, cap;
  size_t stop_at; /* 0: never stop */
};

static int collect(void *block, size_t size, void *arg) {
  struct seen *s = arg;
  if (s->n < s->cap) {
    s->v[s->n][0] = (uintptr_t)block;
    s->v[s->n][1] = size;
  }
  s->n++;
  return s->stop_at && s->n == s->stop_at ? 42 : 0;
}

static int test_visit(void) {
  enum { N = 5000 };
  static uintptr_t want[N][2], got[N + 1][2];
  static void *p[N];
  small_owner o, other;
  small_owner_init(&o);
  small_owner_init(&other);
  struct seen s = {got, 0, N + 1, 0};
  CHECK(small_owner_visit(&o, collect, &s) == 0);
  CHECK(s.n == 0);

  size_t live = 0, bytes = 0;
  for (int k = 0; k < N; k++) {
    p[k] = small_malloc(&o, 1 + (size_t)(rnd() % TSHEAP_SMALL_MAX));
    CHECK(p[k] != NULL);
    CHECK(small_malloc(&other, 32) != NULL); /* neighbours that must not show up */
  }
  for (int k = 0; k < N; k++) {
    if (rnd() % 3 == 0) {
      small_free(p[k]);
      continue;
    }
    want[live][0] = (uintptr_t)p[k];
    want[live][1] = small_block_size(p[k]);
    bytes += want[live][1];
    live++;
  }
  CHECK(live_blocks(&o) == live && live_bytes(&o) == bytes);
  qsort(want, live, sizeof want[0], cmp_uptr);

  CHECK(small_owner_visit(&o, collect, &s) == 0);
  CHECK(s.n == live);
  qsort(got, s.n, sizeof got[0], cmp_uptr);
  CHECK(memcmp(want, got, live * sizeof want[0]) == 0);

  s.n = 0;
  s.stop_at = 10;
  CHECK(small_owner_visit(&o, collect, &s) == 42);
  CHECK(s.n == 10);
  s.n = 0;
  s.stop_at = live; /* stopping on the very last block still reports the value */
  CHECK(small_owner_visit(&o, collect, &s) == 42);
  CHECK(s.n == live);

  small_owner_discard(&o);
  s.n = 0;
  s.stop_at = 0;
  CHECK(small_owner_visit(&o, collect, &s) == 0);
  CHECK(s.n == 0);
  CHECK(small_owner_visit(&other, collect, &s) == 0);
  CHECK(s.n == N);
  for (size_t k = 0; k < N; k++)
    CHECK(got[k][1] == 32);
  small_owner_discard(&other);
  return 0;
}

/* 1 if no page of [base, base + REGION_SIZE) is mapped. */
static int unmapped(uintptr_t base) {
  static unsigned char vec[REGION_SIZE / 4096];
  long page = sysconf(_SC_PAGESIZE);
  for (uintptr_t a = base; a < base + REGION_SIZE; a += (uintptr_t)page)
    if (mincore((void *)a, (size_t)page, vec) == 0 || errno != ENOMEM)
      return 0;
  return 1;
}

/* Wholly free regions stay mapped, up to TSHEAP_SMALL_KEEP_EMPTY of them, and
 * the next pools come from them before any new region is mapped. */
static int test_kept_regions(void) {
  enum { SIZE = 256, REGIONS = TSHEAP_SMALL_KEEP_EMPTY / 2, N = (REGIONS << 20) / SIZE };
  static void *p[N];
  small_owner o;
  small_totals t0, t1, t2;
  small_get_totals(&t0);
  CHECK(t0.regions_empty <= TSHEAP_SMALL_KEEP_EMPTY + 1 && t0.regions_empty <= t0.regions);
  small_owner_init(&o);
  for (int k = 0; k < N; k++) {
    p[k] = small_malloc(&o, SIZE);
    CHECK(p[k] != NULL);
  }
  small_get_totals(&t1);
  CHECK(t1.regions >= REGIONS);
  for (int k = 0; k < N; k++)
    small_free(p[k]);
  small_get_totals(&t2);
  CHECK(t2.pools_used == t0.pools_used);
  CHECK(t2.regions_empty <= TSHEAP_SMALL_KEEP_EMPTY + 1);
  /* Every region left wholly free stays: the new ones and those free before,
   * bar the one holding the pool o keeps in its class. */
  size_t want = t1.regions - t0.regions + t0.regions_empty - 1;
  CHECK(t2.regions_empty >= want);
  /* The same again maps nothing new. */
  for (int k = 0; k < N; k++) {
    p[k] = small_malloc(&o, SIZE);
    CHECK(p[k] != NULL);
  }
  small_get_totals(&t1);
  CHECK(t1.regions == t2.regions);
  for (int k = 0; k < N; k++)
    small_free(p[k]);
  small_owner_discard(&o);
  hand_back_waiting();
  /* A trim gives all but one back to the OS. */
  small_get_totals(&t1);
  CHECK(t1.regions_empty >= 2);
  small_trim();
  small_get_totals(&t2);
  CHECK(t2.regions_empty == 1);
  CHECK(t2.regions == t1.regions - (t1.regions_empty - 1));
  for (int k = 0; k < N; k++) {     /* and the allocator goes on */
    p[k] = small_malloc(&o, SIZE);
    CHECK(p[k] != NULL);
  }
  for (int k = 0; k < N; k++)
    small_free(p[k]);
  small_owner_discard(&o);
  return 0;
}

static int test_discard(void) {
  /* More regions than are kept empty, so that some must go back to the OS. */
  enum { SIZE = 256, REGIONS = 2 * TSHEAP_SMALL_KEEP_EMPTY, N = (REGIONS << 20) / SIZE };
  static uintptr_t regions[N];
  small_owner o;
  small_totals t0, t1, t2;
  small_get_totals(&t0);
  small_owner_init(&o);
  for (int k = 0; k < N; k++) {
    char *p = small_malloc(&o, SIZE);
    CHECK(p != NULL);
    p[0] = 1;
    p[SIZE - 1] = 2;
    regions[k] = REGION_BASE(p);
  }
  CHECK(live_blocks(&o) == N && live_bytes(&o) == (size_t)N * SIZE);
  /* Sort now: qsort may malloc, and that must not land in the regions checked below. */
  qsort(regions, N, sizeof regions[0], cmp_uptr);
  size_t distinct = 0;
  for (int k = 0; k < N; k++)
    if (!k || regions[k] != regions[k - 1])
      regions[distinct++] = regions[k];
  CHECK(distinct >= REGIONS);
  small_get_totals(&t1);
  CHECK(t1.regions >= REGIONS);   /* empty ones kept from before count too */
  CHECK(t1.pools_used >= t0.pools_used + ((size_t)REGIONS << 20) / POOL_SIZE);

  small_owner_discard(&o);
  CHECK(owner_empty(&o));
  small_get_totals(&t2);
  CHECK(t2.pools_used == t0.pools_used);
  CHECK(t2.regions == t1.regions);
  CHECK(t2.orphan_blocks == t0.orphan_blocks);

  /* The discarded pools wait: another owner gets them before any new region,
   * carved afresh in another class. */
  enum { SIZE2 = 64, N2 = N * SIZE / SIZE2 / 2 };
  static char *q[N2];
  small_owner o2;
  small_owner_init(&o2);
  for (int k = 0; k < N2; k++) {
    q[k] = small_malloc(&o2, SIZE2);
    CHECK(q[k] != NULL);
    CHECK(bsearch(&(uintptr_t){REGION_BASE(q[k])}, regions, distinct, sizeof regions[0], cmp_uptr));
    fill(q[k], SIZE2, (uint32_t)k);
  }
  for (int k = 0; k < N2; k++)
    CHECK(intact(q[k], SIZE2, (uint32_t)k));
  small_get_totals(&t2);
  CHECK(t2.regions == t1.regions);
  CHECK(live_blocks(&o2) == N2);
  for (int k = 0; k < N2; k++)
    small_free(q[k]);
  CHECK(live_blocks(&o2) == 0);
  small_owner_discard(&o2);

  /* The next discard hands the waiting pools back: the regions really go back
   * to the OS, bar the few kept for reuse. */
  small_owner_init(&o);
  small_owner_discard(&o);
  small_get_totals(&t2);
  CHECK(t2.pools_used == t0.pools_used);
  CHECK(t2.regions <= t0.regions + TSHEAP_SMALL_KEEP_EMPTY + 1);
  size_t kept = 0;
  for (size_t k = 0; k < distinct; k++) {
    if (small_owns((void *)(regions[k] + POOL_SIZE / 2)))
      kept++;
    else
      CHECK(unmapped(regions[k]));
  }
  CHECK(kept <= TSHEAP_SMALL_KEEP_EMPTY + 1);

  /* The owner is reusable after init. */
  small_owner_init(&o);
  void *p[100];
  for (int k = 0; k < 100; k++) {
    p[k] = small_malloc(&o, 1 + (size_t)k * 5);
    CHECK(p[k] != NULL);
    fill(p[k], class_of(1 + (size_t)k * 5), (uint32_t)k);
  }
  CHECK(live_blocks(&o) == 100);
  for (int k = 0; k < 100; k++)
    CHECK(intact(p[k], class_of(1 + (size_t)k * 5), (uint32_t)k));
  for (int k = 0; k < 100; k += 2)
    small_free(p[k]);
  CHECK(live_blocks(&o) == 50);
  small_owner_discard(&o);
  small_get_totals(&t2);
  CHECK(t2.pools_used == t0.pools_used);
  CHECK(t2.regions <= t0.regions + TSHEAP_SMALL_KEEP_EMPTY + 1);

  /* Discarding an empty owner is harmless. */
  small_owner_init(&o);
  small_owner_discard(&o);
  CHECK(owner_empty(&o));
  return 0;
}

static int test_release(void) {
  enum { N = 20000, M = 2000 };
  static struct {
    char *p;
    uint32_t tag;
  } b[N];
  static uintptr_t pools[N];
  small_owner a, c;
  small_totals t0, t1, t;
  small_get_totals(&t0);
  small_owner_init(&a);
  small_owner_init(&c);

  for (int k = 0; k < N; k++) {
    size_t s = 1 + (size_t)(rnd() % (k % 2 ? 64 : TSHEAP_SMALL_MAX));
    b[k].p = small_malloc(&a, s);
    CHECK(b[k].p != NULL);
    b[k].tag = (uint32_t)rnd();
    fill(b[k].p, class_of(s), b[k].tag);
  }
  small_get_totals(&t1);
  small_owner_release(&a);
  CHECK(owner_empty(&a));
  small_get_totals(&t);
  CHECK(t.orphan_blocks == t0.orphan_blocks + N);
  CHECK(t.pools_used == t1.pools_used);
  CHECK(t.regions == t1.regions);
  for (int k = 0; k < N; k++) {
    CHECK(small_owns(b[k].p));
    CHECK(intact(b[k].p, small_block_size(b[k].p), b[k].tag));
  }

  /* Released pools that still hold blocks are never allocated from, even after frees. */
  size_t np = 0;
  for (int k = 0; k < N; k++) {
    if (k % 3 == 0) {
      small_free(b[k].p);
      b[k].p = NULL;
    } else {
      pools[np++] = POOL_BASE(b[k].p);
    }
  }
  qsort(pools, np, sizeof pools[0], cmp_uptr);
  small_owner_init(&a); /* the released owner is reusable */
  for (int k = 0; k < M; k++) {
    uintptr_t pc = 0, pa = 0;
    char *x = small_malloc(&c, 1 + (size_t)(rnd() % TSHEAP_SMALL_MAX));
    char *y = small_malloc(&a, 1 + (size_t)(rnd() % TSHEAP_SMALL_MAX));
    CHECK(x && y);
    pc = POOL_BASE(x);
    pa = POOL_BASE(y);
    CHECK(!bsearch(&pc, pools, np, sizeof pools[0], cmp_uptr));
    CHECK(!bsearch(&pa, pools, np, sizeof pools[0], cmp_uptr));
  }
  CHECK(live_blocks(&a) == M && live_blocks(&c) == M);

  size_t left = 0;
  for (int k = 0; k < N; k++)
    left += b[k].p != NULL;
  small_get_totals(&t);
  CHECK(t.orphan_blocks == t0.orphan_blocks + left);
  for (int k = N - 1; k >= 0; k--) {
    if (!b[k].p)
      continue;
    CHECK(intact(b[k].p, small_block_size(b[k].p), b[k].tag));
    small_free(b[k].p);
  }
  small_get_totals(&t);
  CHECK(t.orphan_blocks == t0.orphan_blocks);
  CHECK(live_blocks(&a) == M && live_blocks(&c) == M); /* orphan frees touch no live owner */

  small_owner_discard(&a);
  small_owner_discard(&c);
  hand_back_waiting();
  small_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  CHECK(t.regions <= t0.regions + TSHEAP_SMALL_KEEP_EMPTY + 1);

  /* Releasing an empty owner changes nothing. */
  small_owner_release(&a);
  small_get_totals(&t);
  CHECK(t.orphan_blocks == t0.orphan_blocks && t.pools_used == t0.pools_used);
  return 0;
}

struct sum {
  size_t n, bytes;
};

static int add_up(void *block, size_t size, void *arg) {
  struct sum *s = arg;
  (void)block;
  s->n++;
  s->bytes += size;
  return 0;
}

/* Random traffic over several owners against a shadow list. */
static int test_churn(void) {
  enum { OWNERS = 5, CAP = 6000, OPS = 400000, ORPHAN = -1 };
  static struct {
    char *p;
    size_t size;
    uint32_t tag;
    int owner;
  } live[CAP];
  static small_owner o[OWNERS];
  size_t n = 0, count[OWNERS] = {0}, bytes[OWNERS] = {0}, orphans = 0;
  small_totals t0, t;
  small_get_totals(&t0);
  rng = 12345;
  for (int i = 0; i < OWNERS; i++)
    small_owner_init(&o[i]);

  for (long op = 0; op < OPS; op++) {
    uint64_t r = rnd() % 1000;
    int w = (int)(rnd() % OWNERS);
    if (r < 520 && n < CAP) {
      uint64_t q = rnd();
      size_t s = q % 100 < 70 ? 1 + q / 100 % 64 : q % 100 < 95 ? 65 + q / 100 % 192 : 257 + q / 100 % 256;
      char *p = small_malloc(&o[w], s);
      CHECK(p != NULL);
      CHECK(((uintptr_t)p & 15) == 0);
      CHECK(small_owns(p));
      CHECK(small_block_size(p) == class_of(s));
      live[n].p = p;
      live[n].size = class_of(s);
      live[n].tag = (uint32_t)q;
      live[n].owner = w;
      fill(p, live[n].size, live[n].tag);
      count[w]++;
      bytes[w] += live[n].size;
      n++;
    } else if (r < 997 && n) {
      size_t i = (size_t)(rnd() % n);
      CHECK(intact(live[i].p, live[i].size, live[i].tag));
      small_free(live[i].p);
      if (live[i].owner == ORPHAN) {
        orphans--;
      } else {
        count[live[i].owner]--;
        bytes[live[i].owner] -= live[i].size;
      }
      live[i] = live[--n];
    } else if (r < 999) {
      for (size_t i = 0; i < n;) {
        if (live[i].owner == w)
          live[i] = live[--n];
        else
          i++;
      }
      small_owner_discard(&o[w]);
      CHECK(owner_empty(&o[w]));
      small_owner_init(&o[w]);
      count[w] = bytes[w] = 0;
    } else {
      for (size_t i = 0; i < n; i++)
        if (live[i].owner == w)
          live[i].owner = ORPHAN;
      orphans += count[w];
      small_owner_release(&o[w]);
      CHECK(owner_empty(&o[w]));
      small_owner_init(&o[w]);
      count[w] = bytes[w] = 0;
    }

    if (op % 4999 == 0) {
      for (size_t i = 0; i < n; i++)
        CHECK(intact(live[i].p, live[i].size, live[i].tag));
      for (int i = 0; i < OWNERS; i++) {
        struct sum s = {0, 0};
        CHECK(live_blocks(&o[i]) == count[i] && live_bytes(&o[i]) == bytes[i]);
        CHECK(small_owner_visit(&o[i], add_up, &s) == 0);
        CHECK(s.n == count[i] && s.bytes == bytes[i]);
      }
      small_get_totals(&t);
      CHECK(t.orphan_blocks == t0.orphan_blocks + orphans);
    }
  }

  while (n) {
    n--;
    CHECK(intact(live[n].p, live[n].size, live[n].tag));
    small_free(live[n].p);
  }
  small_get_totals(&t);
  CHECK(t.orphan_blocks == t0.orphan_blocks);
  CHECK(t.pools_used == t0.pools_used);
  for (int i = 0; i < OWNERS; i++) {
    CHECK(live_blocks(&o[i]) == 0 && live_bytes(&o[i]) == 0);
    if (i % 2)
      small_owner_discard(&o[i]);
    else
      small_owner_release(&o[i]); /* kept empty pools must not go to the orphan */
    CHECK(owner_empty(&o[i]));
  }
  hand_back_waiting();
  small_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  CHECK(t.orphan_blocks == t0.orphan_blocks);
  CHECK(t.regions <= t0.regions + 1);
  return 0;
}

int main(void) {
  static const struct {
    const char *name;
    int (*fn)(void);
  } tests[] = {
      {"sizes", test_sizes},
      {"counters", test_counters},
      {"owns", test_owns},
      {"kept_pool", test_kept_pool},
      {"kept_regions", test_kept_regions},
      {"owners_interleaved", test_owners_interleaved},
      {"visit", test_visit},
      {"discard", test_discard},
      {"release", test_release},
      {"churn", test_churn},
  };
  int failed = 0;
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
    hand_back_waiting();
    if (tests[i].fn()) {
      fprintf(stderr, "test_region: %s FAILED\n", tests[i].name);
      failed = 1;
    }
  }
  small_totals t;
  hand_back_waiting();
  small_get_totals(&t);
  if (!failed && (t.pools_used || t.orphan_blocks || t.regions > t.regions_empty + 1)) {
    fprintf(stderr, "test_region: leftovers: %zu regions, %zu pools, %zu orphan blocks\n", t.regions,
            t.pools_used, t.orphan_blocks);
    failed = 1;
  }
  if (!failed)
    printf("test_region: all passed\n");
  return failed;
}
