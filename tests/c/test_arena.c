/* test_arena.c - standalone tests of core/arena.c (the GIL build's small-block allocator).
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -Icore core/arena.c tests/c/test_arena.c
 * Exit status 0 when every check holds; otherwise the first failing check is printed.
 */
#include "arena.h"

static int out_of_memory_calls;
void arena_out_of_memory(void) { out_of_memory_calls++; }

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

/* Geometry the contract states: 16 KiB pools in 1 MiB arenas. */
#define POOL_SIZE ((uintptr_t)16384)
#define ARENA_SIZE ((uintptr_t)1 << 20)
#define POOL_BASE(p) ((uintptr_t)(p) & ~(POOL_SIZE - 1))
#define ARENA_BASE(p) ((uintptr_t)(p) & ~(ARENA_SIZE - 1))

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

static size_t live_blocks(const arena_owner *o) {
  size_t blocks, bytes;
  arena_owner_count(o, &blocks, &bytes);
  return blocks;
}

static size_t live_bytes(const arena_owner *o) {
  size_t blocks, bytes;
  arena_owner_count(o, &blocks, &bytes);
  return bytes;
}

/* A discard leaves its pools waiting for reuse until the next discard: the
 * discard of an empty owner hands them back to their arenas. */
static void hand_back_waiting(void) {
  arena_owner o;
  arena_owner_init(&o);
  arena_owner_discard(&o);
}

/* Fully empty, as after init, discard or release; an owner that merely freed all its
 * blocks may still keep one empty pool per class. */
static int owner_empty(const arena_owner *o) {
  for (int i = 0; i < TSHEAP_ARENA_CLASSES; i++)
    if (o->used[i])
      return 0;
  return !o->all;
}

/* A fresh owner hands out blocks that fit their class and never overlap. */
static int test_sizes(void) {
  enum { PER = 3, N = TSHEAP_ARENA_SMALL_MAX * PER };
  static void *p[N];
  static uintptr_t span[N][2];
  arena_owner o;
  arena_totals t0, t;
  arena_get_totals(&t0);
  arena_owner_init(&o);
  CHECK(owner_empty(&o));

  size_t bytes = 0;
  for (size_t s = 1, k = 0; s <= TSHEAP_ARENA_SMALL_MAX; s++) {
    for (int j = 0; j < PER; j++, k++) {
      p[k] = arena_malloc(&o, s);
      CHECK(p[k] != NULL);
      CHECK(((uintptr_t)p[k] & (TSHEAP_ARENA_ALIGN - 1)) == 0);
      CHECK(arena_block_size(p[k]) == class_of(s));
      CHECK(arena_owns(p[k]));
      CHECK(arena_owns((char *)p[k] + class_of(s) - 1));
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
    CHECK(intact(p[k], arena_block_size(p[k]), (uint32_t)k));
    span[k][0] = (uintptr_t)p[k];
    span[k][1] = (uintptr_t)p[k] + arena_block_size(p[k]);
  }
  qsort(span, N, sizeof span[0], cmp_uptr);
  for (size_t k = 1; k < N; k++)
    CHECK(span[k - 1][1] <= span[k][0]);

  for (size_t k = 0; k < N; k += 2)
    arena_free(p[k]);
  for (size_t k = 1; k < N; k += 2)
    CHECK(intact(p[k], arena_block_size(p[k]), (uint32_t)k));
  for (size_t k = 1; k < N; k += 2)
    arena_free(p[k]);
  CHECK(live_blocks(&o) == 0 && live_bytes(&o) == 0);
  arena_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  arena_owner_discard(&o);
  CHECK(owner_empty(&o));
  arena_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  CHECK(t.arenas <= t0.arenas + 1);
  return 0;
}

static int test_counters(void) {
  arena_owner o;
  arena_owner_init(&o);
  void *a = arena_malloc(&o, 1), *b = arena_malloc(&o, 16), *c = arena_malloc(&o, 17);
  void *d = arena_malloc(&o, 512);
  CHECK(a && b && c && d);
  CHECK(live_blocks(&o) == 4);
  CHECK(live_bytes(&o) == 16 + 16 + 32 + 512);
  CHECK(arena_block_size(a) == 16 && arena_block_size(c) == 32 && arena_block_size(d) == 512);
  arena_free(c);
  CHECK(live_blocks(&o) == 3 && live_bytes(&o) == 16 + 16 + 512);
  arena_free(a);
  arena_free(d);
  CHECK(live_blocks(&o) == 1 && live_bytes(&o) == 16);
  /* A freed block is reused before the pool grows. */
  void *e = arena_malloc(&o, 10);
  CHECK(e == a);
  arena_free(b);
  arena_free(e);
  CHECK(live_blocks(&o) == 0 && live_bytes(&o) == 0);

  /* Fill two pools until a third opens.  Blocks freed in the full pools are handed
   * out again, both of them, before any untouched block or new pool. */
  static char *q[128];
  arena_totals t0, t;
  int n = 0, pools = 1;
  q[n++] = arena_malloc(&o, 500);
  CHECK(q[0] != NULL);
  while (pools < 3) {
    CHECK(n < 128);
    q[n] = arena_malloc(&o, 500);
    CHECK(q[n] != NULL);
    pools += POOL_BASE(q[n]) != POOL_BASE(q[n - 1]);
    n++;
  }
  char *in_a = q[1], *in_b = q[n - 2];
  CHECK(POOL_BASE(in_a) != POOL_BASE(in_b) && POOL_BASE(in_b) != POOL_BASE(q[n - 1]));
  arena_free(in_a);
  arena_free(in_b);
  arena_get_totals(&t0);
  char *x = arena_malloc(&o, 512), *y = arena_malloc(&o, 512);
  CHECK((x == in_a && y == in_b) || (x == in_b && y == in_a));
  arena_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  CHECK(live_blocks(&o) == (size_t)n && live_bytes(&o) == (size_t)n * 512);
  arena_owner_discard(&o);
  CHECK(owner_empty(&o));
  return 0;
}

/* Freeing the last block of an owner's only pool with room keeps that pool, so an
 * alloc/free loop does not cycle it through its arena; discard or release return it. */
static int test_kept_pool(void) {
  arena_owner o, other;
  arena_totals t0, t;
  arena_get_totals(&t0);
  arena_owner_init(&o);
  arena_owner_init(&other);
  char *first = arena_malloc(&o, 64);
  CHECK(first != NULL);
  arena_free(first);
  arena_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used); /* kept, but holding no live block */
  CHECK(o.all != NULL && live_blocks(&o) == 0);
  for (int i = 0; i < 1000; i++) {
    char *p = arena_malloc(&o, 64);
    CHECK(POOL_BASE(p) == POOL_BASE(first));
    arena_get_totals(&t);
    CHECK(t.pools_used == t0.pools_used + 1);
    arena_free(p);
  }
  /* Another owner never gets the kept pool. */
  char *q = arena_malloc(&other, 64);
  CHECK(POOL_BASE(q) != POOL_BASE(first));
  arena_free(q);

  /* Two pools with room: the one that empties goes back, only one is kept. */
  static char *b[200];
  int n = 0;
  do {
    CHECK(n < 200);
    b[n] = arena_malloc(&o, 512);
    CHECK(b[n] != NULL);
  } while (POOL_BASE(b[n++]) == POOL_BASE(b[0]));
  arena_free(b[1]); /* pool 1 has room again: two pools in the used list */
  for (int i = 0; i < n; i++)
    if (i != 1)
      arena_free(b[i]);
  arena_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  /* The pool given back is the first one the arena hands out again. */
  char *x = arena_malloc(&other, 512);
  CHECK(x != NULL);
  CHECK(POOL_BASE(x) == POOL_BASE(b[0]) || POOL_BASE(x) == POOL_BASE(b[n - 1]));
  char *y = arena_malloc(&o, 512);
  CHECK(POOL_BASE(y) != POOL_BASE(x));
  CHECK(POOL_BASE(y) == POOL_BASE(b[0]) || POOL_BASE(y) == POOL_BASE(b[n - 1]));
  arena_free(x);
  arena_free(y);

  arena_owner_release(&o);
  arena_owner_release(&other);
  CHECK(owner_empty(&o) && owner_empty(&other));

  /* A released owner's only pool in a class is not kept when its last block
   * is freed: it goes back, the first pool the arena hands out again. */
  char *r1 = arena_malloc(&o, 48), *r2 = arena_malloc(&o, 48);
  CHECK(r1 && r2 && POOL_BASE(r1) == POOL_BASE(r2));
  arena_owner_release(&o);
  arena_free(r2);
  arena_free(r1);
  char *s = arena_malloc(&other, 48);
  CHECK(POOL_BASE(s) == POOL_BASE(r1));
  arena_free(s);
  arena_owner_release(&other);

  arena_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  CHECK(t.orphan_blocks == t0.orphan_blocks);
  CHECK(t.arenas <= t0.arenas + 1);
  return 0;
}

static int not_ours_static;

static int test_owns(void) {
  arena_owner o;
  int local = 0;
  arena_owner_init(&o);
  CHECK(!arena_owns(NULL));
  CHECK(!arena_owns(&local));
  CHECK(!arena_owns(&not_ours_static));
  CHECK(!arena_owns((const void *)(uintptr_t)1));
  CHECK(!arena_owns((const void *)~(uintptr_t)0));
  CHECK(!arena_owns((const void *)(((uintptr_t)1 << 48) + 4096)));
  void *m = malloc(64);
  CHECK(m != NULL);
  CHECK(!arena_owns(m));
  free(m);
  void *big = malloc((size_t)4 << 20); /* glibc maps this on its own */
  CHECK(big != NULL);
  CHECK(!arena_owns(big));
  CHECK(!arena_owns((char *)big + (2u << 20)));
  free(big);

  /* The first block of a new owner's class opens a pool: below it lies the header. */
  char *p = arena_malloc(&o, 48);
  CHECK(p != NULL);
  CHECK(arena_owns(p));
  CHECK(arena_owns(p + 47));
  char *pool = (char *)POOL_BASE(p);
  CHECK(p - pool >= 16);
  for (char *h = pool; h < p; h++)
    CHECK(!arena_owns(h));
  char *q = arena_malloc(&o, 48);
  CHECK(q == p + 48);
  CHECK(arena_owns(q));
  /* Freed blocks are still ours. */
  arena_free(q);
  CHECK(arena_owns(q));
  arena_free(p);
  arena_owner_discard(&o);
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
  static arena_owner o[OWNERS];
  static struct blk b[N];
  static uintptr_t pools[N][2];
  size_t bytes[OWNERS] = {0}, count[OWNERS] = {0};
  arena_totals t0, t;
  arena_get_totals(&t0);
  for (int i = 0; i < OWNERS; i++)
    arena_owner_init(&o[i]);

  for (int k = 0; k < N; k++) {
    int w = k % OWNERS;
    size_t s = 1 + (size_t)(rnd() % 160);
    b[k].p = arena_malloc(&o[w], s);
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
    size_t sz = arena_block_size(b[k].p);
    CHECK(intact(b[k].p, sz, b[k].tag));
    arena_free(b[k].p);
    bytes[b[k].owner] -= sz;
    count[b[k].owner]--;
    if (k % 97 == 0)
      for (int i = 0; i < OWNERS; i++)
        CHECK(live_blocks(&o[i]) == count[i] && live_bytes(&o[i]) == bytes[i]);
  }
  arena_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  for (int i = 0; i < OWNERS; i++) {
    CHECK(live_blocks(&o[i]) == 0 && live_bytes(&o[i]) == 0);
    arena_owner_discard(&o[i]);
    CHECK(owner_empty(&o[i]));
  }
  arena_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  CHECK(t.arenas <= t0.arenas + 1);
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
  arena_owner o, other;
  arena_owner_init(&o);
  arena_owner_init(&other);
  struct seen s = {got, 0, N + 1, 0};
  CHECK(arena_owner_visit(&o, collect, &s) == 0);
  CHECK(s.n == 0);

  size_t live = 0, bytes = 0;
  for (int k = 0; k < N; k++) {
    p[k] = arena_malloc(&o, 1 + (size_t)(rnd() % TSHEAP_ARENA_SMALL_MAX));
    CHECK(p[k] != NULL);
    CHECK(arena_malloc(&other, 32) != NULL); /* neighbours that must not show up */
  }
  for (int k = 0; k < N; k++) {
    if (rnd() % 3 == 0) {
      arena_free(p[k]);
      continue;
    }
    want[live][0] = (uintptr_t)p[k];
    want[live][1] = arena_block_size(p[k]);
    bytes += want[live][1];
    live++;
  }
  CHECK(live_blocks(&o) == live && live_bytes(&o) == bytes);
  qsort(want, live, sizeof want[0], cmp_uptr);

  CHECK(arena_owner_visit(&o, collect, &s) == 0);
  CHECK(s.n == live);
  qsort(got, s.n, sizeof got[0], cmp_uptr);
  CHECK(memcmp(want, got, live * sizeof want[0]) == 0);

  s.n = 0;
  s.stop_at = 10;
  CHECK(arena_owner_visit(&o, collect, &s) == 42);
  CHECK(s.n == 10);
  s.n = 0;
  s.stop_at = live; /* stopping on the very last block still reports the value */
  CHECK(arena_owner_visit(&o, collect, &s) == 42);
  CHECK(s.n == live);

  arena_owner_discard(&o);
  s.n = 0;
  s.stop_at = 0;
  CHECK(arena_owner_visit(&o, collect, &s) == 0);
  CHECK(s.n == 0);
  CHECK(arena_owner_visit(&other, collect, &s) == 0);
  CHECK(s.n == N);
  for (size_t k = 0; k < N; k++)
    CHECK(got[k][1] == 32);
  arena_owner_discard(&other);
  return 0;
}

/* 1 if no page of [base, base + ARENA_SIZE) is mapped. */
static int unmapped(uintptr_t base) {
  static unsigned char vec[ARENA_SIZE / 4096];
  long page = sysconf(_SC_PAGESIZE);
  for (uintptr_t a = base; a < base + ARENA_SIZE; a += (uintptr_t)page)
    if (mincore((void *)a, (size_t)page, vec) == 0 || errno != ENOMEM)
      return 0;
  return 1;
}

/* Wholly free arenas stay mapped, up to TSHEAP_ARENA_KEEP_EMPTY of them, and
 * the next pools come from them before any new arena is mapped. */
static int test_kept_arenas(void) {
  enum { SIZE = 256, ARENAS = TSHEAP_ARENA_KEEP_EMPTY / 2, N = (ARENAS << 20) / SIZE };
  static void *p[N];
  arena_owner o;
  arena_totals t0, t1, t2;
  arena_get_totals(&t0);
  CHECK(t0.arenas_empty <= TSHEAP_ARENA_KEEP_EMPTY + 1 && t0.arenas_empty <= t0.arenas);
  arena_owner_init(&o);
  for (int k = 0; k < N; k++) {
    p[k] = arena_malloc(&o, SIZE);
    CHECK(p[k] != NULL);
  }
  arena_get_totals(&t1);
  CHECK(t1.arenas >= ARENAS);
  for (int k = 0; k < N; k++)
    arena_free(p[k]);
  arena_get_totals(&t2);
  CHECK(t2.pools_used == t0.pools_used);
  CHECK(t2.arenas_empty <= TSHEAP_ARENA_KEEP_EMPTY + 1);
  /* Every arena left wholly free stays: the new ones and those free before,
   * bar the one holding the pool o keeps in its class. */
  size_t want = t1.arenas - t0.arenas + t0.arenas_empty - 1;
  CHECK(t2.arenas_empty >= want);
  /* The same again maps nothing new. */
  for (int k = 0; k < N; k++) {
    p[k] = arena_malloc(&o, SIZE);
    CHECK(p[k] != NULL);
  }
  arena_get_totals(&t1);
  CHECK(t1.arenas == t2.arenas);
  for (int k = 0; k < N; k++)
    arena_free(p[k]);
  arena_owner_discard(&o);
  hand_back_waiting();
  /* A trim gives all but one back to the OS. */
  arena_get_totals(&t1);
  CHECK(t1.arenas_empty >= 2);
  arena_trim();
  arena_get_totals(&t2);
  CHECK(t2.arenas_empty == 1);
  CHECK(t2.arenas == t1.arenas - (t1.arenas_empty - 1));
  for (int k = 0; k < N; k++) {     /* and the allocator goes on */
    p[k] = arena_malloc(&o, SIZE);
    CHECK(p[k] != NULL);
  }
  for (int k = 0; k < N; k++)
    arena_free(p[k]);
  arena_owner_discard(&o);
  return 0;
}

static int test_discard(void) {
  /* More arenas than are kept empty, so that some must go back to the OS. */
  enum { SIZE = 256, ARENAS = 2 * TSHEAP_ARENA_KEEP_EMPTY, N = (ARENAS << 20) / SIZE };
  static uintptr_t arenas[N];
  arena_owner o;
  arena_totals t0, t1, t2;
  arena_get_totals(&t0);
  arena_owner_init(&o);
  for (int k = 0; k < N; k++) {
    char *p = arena_malloc(&o, SIZE);
    CHECK(p != NULL);
    p[0] = 1;
    p[SIZE - 1] = 2;
    arenas[k] = ARENA_BASE(p);
  }
  CHECK(live_blocks(&o) == N && live_bytes(&o) == (size_t)N * SIZE);
  /* Sort now: qsort may malloc, and that must not land in the arenas checked below. */
  qsort(arenas, N, sizeof arenas[0], cmp_uptr);
  size_t distinct = 0;
  for (int k = 0; k < N; k++)
    if (!k || arenas[k] != arenas[k - 1])
      arenas[distinct++] = arenas[k];
  CHECK(distinct >= ARENAS);
  arena_get_totals(&t1);
  CHECK(t1.arenas >= ARENAS);   /* empty ones kept from before count too */
  CHECK(t1.pools_used >= t0.pools_used + ((size_t)ARENAS << 20) / POOL_SIZE);

  arena_owner_discard(&o);
  CHECK(owner_empty(&o));
  arena_get_totals(&t2);
  CHECK(t2.pools_used == t0.pools_used);
  CHECK(t2.arenas == t1.arenas);
  CHECK(t2.orphan_blocks == t0.orphan_blocks);

  /* The discarded pools wait: another owner gets them before any new arena,
   * carved afresh in another class. */
  enum { SIZE2 = 64, N2 = N * SIZE / SIZE2 / 2 };
  static char *q[N2];
  arena_owner o2;
  arena_owner_init(&o2);
  for (int k = 0; k < N2; k++) {
    q[k] = arena_malloc(&o2, SIZE2);
    CHECK(q[k] != NULL);
    CHECK(bsearch(&(uintptr_t){ARENA_BASE(q[k])}, arenas, distinct, sizeof arenas[0], cmp_uptr));
    fill(q[k], SIZE2, (uint32_t)k);
  }
  for (int k = 0; k < N2; k++)
    CHECK(intact(q[k], SIZE2, (uint32_t)k));
  arena_get_totals(&t2);
  CHECK(t2.arenas == t1.arenas);
  CHECK(live_blocks(&o2) == N2);
  for (int k = 0; k < N2; k++)
    arena_free(q[k]);
  CHECK(live_blocks(&o2) == 0);
  arena_owner_discard(&o2);

  /* The next discard hands the waiting pools back: the arenas really go back
   * to the OS, bar the few kept for reuse. */
  arena_owner_init(&o);
  arena_owner_discard(&o);
  arena_get_totals(&t2);
  CHECK(t2.pools_used == t0.pools_used);
  CHECK(t2.arenas <= t0.arenas + TSHEAP_ARENA_KEEP_EMPTY + 1);
  size_t kept = 0;
  for (size_t k = 0; k < distinct; k++) {
    if (arena_owns((void *)(arenas[k] + POOL_SIZE / 2)))
      kept++;
    else
      CHECK(unmapped(arenas[k]));
  }
  CHECK(kept <= TSHEAP_ARENA_KEEP_EMPTY + 1);

  /* The owner is reusable after init. */
  arena_owner_init(&o);
  void *p[100];
  for (int k = 0; k < 100; k++) {
    p[k] = arena_malloc(&o, 1 + (size_t)k * 5);
    CHECK(p[k] != NULL);
    fill(p[k], class_of(1 + (size_t)k * 5), (uint32_t)k);
  }
  CHECK(live_blocks(&o) == 100);
  for (int k = 0; k < 100; k++)
    CHECK(intact(p[k], class_of(1 + (size_t)k * 5), (uint32_t)k));
  for (int k = 0; k < 100; k += 2)
    arena_free(p[k]);
  CHECK(live_blocks(&o) == 50);
  arena_owner_discard(&o);
  arena_get_totals(&t2);
  CHECK(t2.pools_used == t0.pools_used);
  CHECK(t2.arenas <= t0.arenas + TSHEAP_ARENA_KEEP_EMPTY + 1);

  /* Discarding an empty owner is harmless. */
  arena_owner_init(&o);
  arena_owner_discard(&o);
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
  arena_owner a, c;
  arena_totals t0, t1, t;
  arena_get_totals(&t0);
  arena_owner_init(&a);
  arena_owner_init(&c);

  for (int k = 0; k < N; k++) {
    size_t s = 1 + (size_t)(rnd() % (k % 2 ? 64 : TSHEAP_ARENA_SMALL_MAX));
    b[k].p = arena_malloc(&a, s);
    CHECK(b[k].p != NULL);
    b[k].tag = (uint32_t)rnd();
    fill(b[k].p, class_of(s), b[k].tag);
  }
  arena_get_totals(&t1);
  arena_owner_release(&a);
  CHECK(owner_empty(&a));
  arena_get_totals(&t);
  CHECK(t.orphan_blocks == t0.orphan_blocks + N);
  CHECK(t.pools_used == t1.pools_used);
  CHECK(t.arenas == t1.arenas);
  for (int k = 0; k < N; k++) {
    CHECK(arena_owns(b[k].p));
    CHECK(intact(b[k].p, arena_block_size(b[k].p), b[k].tag));
  }

  /* Released pools that still hold blocks are never allocated from, even after frees. */
  size_t np = 0;
  for (int k = 0; k < N; k++) {
    if (k % 3 == 0) {
      arena_free(b[k].p);
      b[k].p = NULL;
    } else {
      pools[np++] = POOL_BASE(b[k].p);
    }
  }
  qsort(pools, np, sizeof pools[0], cmp_uptr);
  arena_owner_init(&a); /* the released owner is reusable */
  for (int k = 0; k < M; k++) {
    uintptr_t pc = 0, pa = 0;
    char *x = arena_malloc(&c, 1 + (size_t)(rnd() % TSHEAP_ARENA_SMALL_MAX));
    char *y = arena_malloc(&a, 1 + (size_t)(rnd() % TSHEAP_ARENA_SMALL_MAX));
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
  arena_get_totals(&t);
  CHECK(t.orphan_blocks == t0.orphan_blocks + left);
  for (int k = N - 1; k >= 0; k--) {
    if (!b[k].p)
      continue;
    CHECK(intact(b[k].p, arena_block_size(b[k].p), b[k].tag));
    arena_free(b[k].p);
  }
  arena_get_totals(&t);
  CHECK(t.orphan_blocks == t0.orphan_blocks);
  CHECK(live_blocks(&a) == M && live_blocks(&c) == M); /* orphan frees touch no live owner */

  arena_owner_discard(&a);
  arena_owner_discard(&c);
  hand_back_waiting();
  arena_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  CHECK(t.arenas <= t0.arenas + TSHEAP_ARENA_KEEP_EMPTY + 1);

  /* Releasing an empty owner changes nothing. */
  arena_owner_release(&a);
  arena_get_totals(&t);
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
  static arena_owner o[OWNERS];
  size_t n = 0, count[OWNERS] = {0}, bytes[OWNERS] = {0}, orphans = 0;
  arena_totals t0, t;
  arena_get_totals(&t0);
  rng = 12345;
  for (int i = 0; i < OWNERS; i++)
    arena_owner_init(&o[i]);

  for (long op = 0; op < OPS; op++) {
    uint64_t r = rnd() % 1000;
    int w = (int)(rnd() % OWNERS);
    if (r < 520 && n < CAP) {
      uint64_t q = rnd();
      size_t s = q % 100 < 70 ? 1 + q / 100 % 64 : q % 100 < 95 ? 65 + q / 100 % 192 : 257 + q / 100 % 256;
      char *p = arena_malloc(&o[w], s);
      CHECK(p != NULL);
      CHECK(((uintptr_t)p & 15) == 0);
      CHECK(arena_owns(p));
      CHECK(arena_block_size(p) == class_of(s));
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
      arena_free(live[i].p);
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
      arena_owner_discard(&o[w]);
      CHECK(owner_empty(&o[w]));
      arena_owner_init(&o[w]);
      count[w] = bytes[w] = 0;
    } else {
      for (size_t i = 0; i < n; i++)
        if (live[i].owner == w)
          live[i].owner = ORPHAN;
      orphans += count[w];
      arena_owner_release(&o[w]);
      CHECK(owner_empty(&o[w]));
      arena_owner_init(&o[w]);
      count[w] = bytes[w] = 0;
    }

    if (op % 4999 == 0) {
      for (size_t i = 0; i < n; i++)
        CHECK(intact(live[i].p, live[i].size, live[i].tag));
      for (int i = 0; i < OWNERS; i++) {
        struct sum s = {0, 0};
        CHECK(live_blocks(&o[i]) == count[i] && live_bytes(&o[i]) == bytes[i]);
        CHECK(arena_owner_visit(&o[i], add_up, &s) == 0);
        CHECK(s.n == count[i] && s.bytes == bytes[i]);
      }
      arena_get_totals(&t);
      CHECK(t.orphan_blocks == t0.orphan_blocks + orphans);
    }
  }

  while (n) {
    n--;
    CHECK(intact(live[n].p, live[n].size, live[n].tag));
    arena_free(live[n].p);
  }
  arena_get_totals(&t);
  CHECK(t.orphan_blocks == t0.orphan_blocks);
  CHECK(t.pools_used == t0.pools_used);
  for (int i = 0; i < OWNERS; i++) {
    CHECK(live_blocks(&o[i]) == 0 && live_bytes(&o[i]) == 0);
    if (i % 2)
      arena_owner_discard(&o[i]);
    else
      arena_owner_release(&o[i]); /* kept empty pools must not go to the orphan */
    CHECK(owner_empty(&o[i]));
  }
  hand_back_waiting();
  arena_get_totals(&t);
  CHECK(t.pools_used == t0.pools_used);
  CHECK(t.orphan_blocks == t0.orphan_blocks);
  CHECK(t.arenas <= t0.arenas + 1);
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
      {"kept_arenas", test_kept_arenas},
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
      fprintf(stderr, "test_arena: %s FAILED\n", tests[i].name);
      failed = 1;
    }
  }
  arena_totals t;
  hand_back_waiting();
  arena_get_totals(&t);
  if (!failed && (t.pools_used || t.orphan_blocks || t.arenas > t.arenas_empty + 1)) {
    fprintf(stderr, "test_arena: leftovers: %zu arenas, %zu pools, %zu orphan blocks\n", t.arenas,
            t.pools_used, t.orphan_blocks);
    failed = 1;
  }
  if (!failed)
    printf("test_arena: all passed\n");
  return failed;
}
