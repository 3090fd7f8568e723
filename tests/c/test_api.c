/* test_api.c - every public function, its results and its error paths, in
 * one thread (plus one foreign thread for the owner checks). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "check.h"

static int is_zero(const void *p, size_t n)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i]) return 0;
  return 1;
}

static void test_identity(void)
{
  CHECK(strcmp(tsheap_version(), TSHEAP_VERSION) == 0);
  CHECK(tsheap_loaded_build() == (FREE_THREADED ? TSHEAP_BUILD_FREE_THREADED : TSHEAP_BUILD_GIL));
  CHECK(tsheap_abi() == TSHEAP_ABI);
  /* the mimalloc that CMake found, whose series' backend was built */
  CHECK(tsheap_mimalloc_version() == TEST_MIMALLOC_VERSION);
  for (int s = 0; s < TSHEAP_STATUS_COUNT; s++) {
    CHECK(tsheap_strerror((tsheap_status)s) != NULL);
    for (int t = 0; t < s; t++)
      CHECK(strcmp(tsheap_strerror((tsheap_status)s), tsheap_strerror((tsheap_status)t)) != 0);
  }
  CHECK(strcmp(tsheap_strerror(TSHEAP_OK), "success") == 0);
  CHECK(strcmp(tsheap_strerror((tsheap_status)TSHEAP_STATUS_COUNT), "unknown status code") == 0);
  CHECK(strcmp(tsheap_strerror((tsheap_status)-1), "unknown status code") == 0);
}

static void test_create_errors(void)
{
  tsheap_state *st = NULL;
  CHECK_STATUS(tsheap_state_create_checked(TSHEAP_ABI ^ 3u, 0, &st), TSHEAP_E_ABI);
  CHECK_STATUS(tsheap_state_create_checked(TSHEAP_SPEC_ABI ^ 4u, 0, &st), TSHEAP_E_ABI);
  CHECK(st == NULL);
  CHECK_STATUS(tsheap_state_create(0, NULL), TSHEAP_E_INVAL);
  CHECK_STATUS(tsheap_state_create(TSHEAP_DOMAIN_ALL + 1u, &st), TSHEAP_E_DOMAIN);
  CHECK(st == NULL);
  CHECK(tsheap_state_current() == NULL);
  GIL_TAKE();
  CHECK_REFUSED(tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, 8), TSHEAP_E_NOSTATE);
  CHECK(tsheap_gc_due(TSHEAP_DOMAIN_DEFAULT) == 0);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_end(NULL), TSHEAP_E_INVAL);
  CHECK_STATUS(tsheap_state_switch(NULL), TSHEAP_OK);
  CHECK(tsheap_state_owned(NULL) == 0);
}

static void test_alloc(tsheap_domain d)
{
  static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 256, 511, 512, 513, 4096, 100000, 1u << 20 };
  void *blocks[sizeof sizes / sizeof sizes[0]];
  GIL_TAKE();
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    blocks[i] = tsheap_malloc(d, sizes[i]);
    CHECK(blocks[i] != NULL);
    /* aligned as malloc aligns: 16 bytes from 16 up, 8 below */
    CHECK(((uintptr_t)blocks[i] & (sizes[i] >= 16 ? 15u : 7u)) == 0);
    CHECK(tsheap_block_size(blocks[i]) >= sizes[i]);
    fill(blocks[i], sizes[i], (unsigned char)i);
  }
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    CHECK(filled(blocks[i], sizes[i], (unsigned char)i));
    tsheap_free(blocks[i]);
  }
  tsheap_free(NULL);
  CHECK(tsheap_block_size(NULL) == 0);

  unsigned char *z = tsheap_zalloc(d, 300);
  CHECK(z != NULL && is_zero(z, 300));
  tsheap_free(z);
  z = tsheap_zalloc(d, 5000);
  CHECK(z != NULL && is_zero(z, 5000));
  tsheap_free(z);

  void *n = tsheap_mallocn(d, 10, 24);
  CHECK(n != NULL && tsheap_block_size(n) >= 240);
  tsheap_free(n);
  CHECK_REFUSED(tsheap_mallocn(d, SIZE_MAX / 2, 3), TSHEAP_E_OVERFLOW);
  z = tsheap_calloc(d, 7, 33);
  CHECK(z != NULL && is_zero(z, 7 * 33));
  tsheap_free(z);
  CHECK_REFUSED(tsheap_calloc(d, 3, SIZE_MAX / 2), TSHEAP_E_OVERFLOW);

  /* realloc keeps the contents across the small/large boundary both ways */
  unsigned char *r = tsheap_realloc(d, NULL, 40);
  CHECK(r != NULL);
  fill(r, 40, 9);
  r = tsheap_realloc(d, r, 2000);
  CHECK(r != NULL && filled(r, 40, 9));
  fill(r, 2000, 3);
  r = tsheap_realloc(d, r, 100);
  CHECK(r != NULL && filled(r, 100, 3));
  tsheap_free(r);

  for (size_t a = 1; a <= 8192; a *= 2) {
    void *p = tsheap_malloc_aligned(d, 100, a);
    CHECK(p != NULL && ((uintptr_t)p % a) == 0);
    fill(p, 100, 1);
    tsheap_free(p);
  }
  CHECK_REFUSED(tsheap_malloc_aligned(d, 100, 3), TSHEAP_E_INVAL);
  CHECK_REFUSED(tsheap_malloc_aligned(d, 100, 0), TSHEAP_E_INVAL);
  CHECK_REFUSED(tsheap_malloc(d, SIZE_MAX - 8), TSHEAP_E_NOMEM);
  GIL_DROP();
}

static void test_bad_domain(void)
{
  tsheap_domain bad = (tsheap_domain)TSHEAP_DOMAIN_COUNT;
  tsheap_state *st = tsheap_state_current();
  tsheap_domain_stats stats;
  void *p;
  GIL_TAKE();
  CHECK_REFUSED(tsheap_malloc(bad, 8), TSHEAP_E_DOMAIN);
  CHECK_REFUSED(tsheap_zalloc((tsheap_domain)-1, 8), TSHEAP_E_DOMAIN);
  CHECK_REFUSED(tsheap_calloc(bad, 1, 8), TSHEAP_E_DOMAIN);
  CHECK_REFUSED(tsheap_mallocn(bad, 1, 8), TSHEAP_E_DOMAIN);
  CHECK_REFUSED(tsheap_realloc(bad, NULL, 8), TSHEAP_E_DOMAIN);
  CHECK_REFUSED(tsheap_malloc_aligned(bad, 8, 8), TSHEAP_E_DOMAIN);
  CHECK(tsheap_gc_due(bad) == 0);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_malloc(st, bad, 8, &p), TSHEAP_E_DOMAIN);
  CHECK_STATUS(tsheap_state_calloc(st, bad, 1, 8, &p), TSHEAP_E_DOMAIN);
  CHECK_STATUS(tsheap_state_stats(st, bad, &stats), TSHEAP_E_DOMAIN);
  CHECK_STATUS(tsheap_state_set_threshold(st, bad, 1), TSHEAP_E_DOMAIN);
  CHECK_STATUS(tsheap_state_reset_count(st, bad), TSHEAP_E_DOMAIN);
  CHECK_STATUS(tsheap_state_end_domain(st, bad, TSHEAP_END_MODE_RELEASE), TSHEAP_E_DOMAIN);
}

struct seen {
  void *want[64];
  int hits[64];
  int n, others, calls, stop_after;
};

static int visit_record(void *block, size_t size, void *arg)
{
  struct seen *s = arg;
  s->calls++;
  int found = 0;
  for (int i = 0; i < s->n; i++)
    if (s->want[i] == block) {
      s->hits[i]++;
      found = 1;
      CHECK(size >= 48);
    }
  if (!found) s->others++;
  return s->stop_after != 0 && s->calls >= s->stop_after;
}

static void test_stats_visit(tsheap_state *st, tsheap_domain d)
{
  tsheap_domain_stats before, after;
  struct seen s;
  memset(&s, 0, sizeof s);
  CHECK_STATUS(tsheap_state_stats(st, d, &before), TSHEAP_OK);
  s.n = 40;
  for (int i = 0; i < s.n; i++) CHECK_STATUS(tsheap_state_malloc(st, d, 48, &s.want[i]), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_stats(st, d, &after), TSHEAP_OK);
  CHECK(after.live_blocks == before.live_blocks + 40);
  CHECK(after.live_bytes >= before.live_bytes + 40 * 48);
  CHECK_STATUS(tsheap_state_visit(st, d, visit_record, &s), TSHEAP_OK);
  for (int i = 0; i < s.n; i++) CHECK(s.hits[i] == 1);
  CHECK((size_t)s.others == before.live_blocks);
  /* a visitor that returns nonzero stops the walk */
  memset(s.hits, 0, sizeof s.hits);
  s.calls = 0;
  s.stop_after = 5;
  CHECK_STATUS(tsheap_state_visit(st, d, visit_record, &s), TSHEAP_OK);
  CHECK(s.calls == 5);
  GIL_TAKE();
  for (int i = 0; i < s.n; i++) tsheap_free(s.want[i]);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_stats(st, d, &after), TSHEAP_OK);
  CHECK(after.live_blocks == before.live_blocks);
  CHECK_STATUS(tsheap_state_stats(st, d, NULL), TSHEAP_E_INVAL);
  CHECK_STATUS(tsheap_state_stats(NULL, d, &after), TSHEAP_E_INVAL);
  CHECK_STATUS(tsheap_state_visit(st, d, NULL, NULL), TSHEAP_E_INVAL);
  CHECK_STATUS(tsheap_state_visit(NULL, d, visit_record, &s), TSHEAP_E_INVAL);
}

/* Over-aligned blocks, sizes a multiple of the alignment included (mimalloc
 * 2.0.9 took those to be aligned by their size class, and 256 B ones in a
 * segment's first page were not).  A visit reports each exactly, or in the
 * free-threaded build as the mimalloc block that holds it. */
enum { ALIGNED_MAX = 400 };
struct aligned_seen {
  char *block[ALIGNED_MAX];
  size_t size[ALIGNED_MAX];
  int hits[ALIGNED_MAX];
  int n;
};

static int visit_aligned(void *block, size_t size, void *arg)
{
  struct aligned_seen *s = arg;
  char *start = block;
  for (int i = 0; i < s->n; i++) {
    int exact = s->block[i] == start && size >= s->size[i];
    int held = start < s->block[i] && s->block[i] + s->size[i] <= start + size;
    if (exact || (FREE_THREADED && held))
      s->hits[i]++;
  }
  return 0;
}

static void test_aligned(tsheap_state *st, tsheap_domain d)
{
  static struct aligned_seen s;
  memset(&s, 0, sizeof s);
  GIL_TAKE();
  for (size_t a = 32; a <= 4096; a *= 2)
    for (size_t size = a / 2; size <= 4096 && s.n + 8 <= ALIGNED_MAX; size = size < a ? a : size * 2)
      for (int k = 0; k < 8; k++) {
        char *p = tsheap_malloc_aligned(d, size, a);
        CHECK(p != NULL && (uintptr_t)p % a == 0);
        if (p == NULL)
          continue;
        CHECK(tsheap_block_size(p) >= size);
        memset(p, 0x5a, size);
        s.block[s.n] = p;
        s.size[s.n++] = size;
      }
  GIL_DROP();
  CHECK(s.n > 100);
  CHECK_STATUS(tsheap_state_visit(st, d, visit_aligned, &s), TSHEAP_OK);
  for (int i = 0; i < s.n; i++) CHECK(s.hits[i] == 1);
  GIL_TAKE();
  for (int i = 0; i < s.n; i++) tsheap_free(s.block[i]);
  GIL_DROP();
}

static void test_counters(tsheap_state *st, tsheap_domain d, int counted)
{
  tsheap_domain_stats stats;
  void *p[10];
  CHECK_STATUS(tsheap_state_reset_count(st, d), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_set_threshold(st, d, 10), TSHEAP_OK);
  GIL_TAKE();
  for (int i = 0; i < 9; i++) p[i] = tsheap_malloc(d, 32);
  CHECK(tsheap_gc_due(d) == 0);
  CHECK_STATUS(tsheap_state_malloc(st, d, 32, &p[9]), TSHEAP_OK);
  CHECK(tsheap_gc_due(d) == counted);
  for (int i = 0; i < 10; i++) tsheap_free(p[i]);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_stats(st, d, &stats), TSHEAP_OK);
  CHECK(stats.allocations == (counted ? 10u : 0u));
  CHECK(stats.threshold == 10);
  CHECK_STATUS(tsheap_state_reset_count(st, d), TSHEAP_OK);
  GIL_TAKE();
  CHECK(tsheap_gc_due(d) == 0);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_set_threshold(st, d, 0), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_set_threshold(NULL, d, 0), TSHEAP_E_INVAL);
  CHECK_STATUS(tsheap_state_reset_count(NULL, d), TSHEAP_E_INVAL);
}

static void test_explicit(tsheap_state *st, tsheap_domain d)
{
  void *p = (void *)1;
  unsigned char *z;
  CHECK_STATUS(tsheap_state_malloc(st, d, 100, NULL), TSHEAP_E_INVAL);
  CHECK_STATUS(tsheap_state_malloc(NULL, d, 100, &p), TSHEAP_E_INVAL);
  CHECK_STATUS(tsheap_state_calloc(st, d, SIZE_MAX / 4, 8, &p), TSHEAP_E_OVERFLOW);
  CHECK(p == NULL);
  CHECK_STATUS(tsheap_state_malloc(st, d, SIZE_MAX - 8, &p), TSHEAP_E_NOMEM);
  CHECK_STATUS(tsheap_state_calloc(st, d, 50, 20, (void **)&z), TSHEAP_OK);
  CHECK(z != NULL && is_zero(z, 1000));
  GIL_TAKE();
  tsheap_free(z);
  GIL_DROP();
}

static void test_switch(tsheap_state *st)
{
  tsheap_state *other = NULL;
  CHECK_STATUS(tsheap_state_create(0, &other), TSHEAP_OK);
  CHECK(tsheap_state_current() == other);
  void *p;
  /* a state that is not current still serves explicit allocation */
  CHECK_STATUS(tsheap_state_malloc(st, TSHEAP_DOMAIN_DEFAULT, 10, &p), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_switch(st), TSHEAP_OK);
  CHECK(tsheap_state_current() == st);
  CHECK_STATUS(tsheap_state_switch(NULL), TSHEAP_OK);
  CHECK(tsheap_state_current() == NULL);
  GIL_TAKE();
  CHECK_REFUSED(tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, 8), TSHEAP_E_NOSTATE);
  tsheap_free(p);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_switch(other), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(other), TSHEAP_OK);
  CHECK(tsheap_state_current() == NULL);
  CHECK_STATUS(tsheap_state_switch(st), TSHEAP_OK);
}

static void test_end_domain(void)
{
  tsheap_state *st = NULL;
  tsheap_domain_stats stats;
  const tsheap_domain d = TSHEAP_DOMAIN_DEFAULT;
  CHECK_STATUS(tsheap_state_create(TSHEAP_DOMAIN_BIT(d), &st), TSHEAP_OK);
  GIL_TAKE();
  unsigned char *kept = tsheap_malloc(TSHEAP_DOMAIN_RAW, 64);
  unsigned char *gone = tsheap_malloc(d, 64);
  CHECK(kept != NULL && gone != NULL);
  fill(kept, 64, 5);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_end_domain(st, d, (tsheap_end_mode)7), TSHEAP_E_INVAL);
  CHECK_STATUS(tsheap_state_end_domain(NULL, d, TSHEAP_END_MODE_RELEASE), TSHEAP_E_INVAL);
  if (d != TSHEAP_DOMAIN_RAW)
    CHECK_STATUS(tsheap_state_end_domain(st, TSHEAP_DOMAIN_RAW, TSHEAP_END_MODE_DISCARD),
                 TSHEAP_E_NOT_DISCARDABLE);
  CHECK_STATUS(tsheap_state_end_domain(st, TSHEAP_DOMAIN_RAW, TSHEAP_END_MODE_RELEASE), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end_domain(st, d, TSHEAP_END_MODE_DISCARD), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end_domain(st, d, TSHEAP_END_MODE_DISCARD), TSHEAP_E_ENDED);
  CHECK_STATUS(tsheap_state_end_domain(st, TSHEAP_DOMAIN_RAW, TSHEAP_END_MODE_RELEASE), TSHEAP_E_ENDED);
  GIL_TAKE();
  CHECK(filled(kept, 64, 5));      /* a released block outlives its domain */
  CHECK_REFUSED(tsheap_malloc(TSHEAP_DOMAIN_RAW, 8), TSHEAP_E_ENDED);
  CHECK_REFUSED(tsheap_malloc(d, 8), TSHEAP_E_ENDED);
  CHECK(tsheap_realloc(TSHEAP_DOMAIN_RAW, kept, 100) == NULL);
  CHECK(filled(kept, 64, 5));      /* a refused realloc leaves the block alone */
  tsheap_free(kept);
  GIL_DROP();
  void *p;
  CHECK_STATUS(tsheap_state_malloc(st, d, 8, &p), TSHEAP_E_ENDED);
  CHECK_STATUS(tsheap_state_stats(st, d, &stats), TSHEAP_E_ENDED);
  CHECK_STATUS(tsheap_state_visit(st, d, visit_record, NULL), TSHEAP_E_ENDED);
  CHECK_STATUS(tsheap_state_set_threshold(st, d, 1), TSHEAP_E_ENDED);
  CHECK_STATUS(tsheap_state_reset_count(st, d), TSHEAP_E_ENDED);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
}

/* A block realloc'd into another domain leaves its old heap: discarding the
 * old domain must not free it, even when it fit in place. */
static void test_realloc_moves_domain(void)
{
  tsheap_state *st;
  CHECK_STATUS(tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_OBJECT), &st), TSHEAP_OK);
  GIL_TAKE();
  unsigned char *p = tsheap_malloc(TSHEAP_DOMAIN_OBJECT, 81);
  CHECK(p != NULL);
  unsigned char *q = tsheap_realloc(TSHEAP_DOMAIN_RAW, p, 56);   /* smaller: it would fit in place */
  CHECK(q != NULL);
  fill(q, 56, 4);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_end_domain(st, TSHEAP_DOMAIN_OBJECT, TSHEAP_END_MODE_DISCARD), TSHEAP_OK);
  struct seen s;
  memset(&s, 0, sizeof s);
  s.n = 1;
  s.want[0] = q;
  CHECK_STATUS(tsheap_state_visit(st, TSHEAP_DOMAIN_RAW, visit_record, &s), TSHEAP_OK);
  CHECK(s.hits[0] == 1);                 /* the raw domain has it */
  tsheap_state *other;
  CHECK_STATUS(tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_OBJECT), &other), TSHEAP_OK);
  GIL_TAKE();
  for (int i = 0; i < 100; i++) memset(tsheap_malloc(TSHEAP_DOMAIN_OBJECT, 81), 0xEE, 81);
  CHECK(filled(q, 56, 4));               /* and nobody else was handed its memory */
  tsheap_free(q);
  CHECK_REFUSED(tsheap_malloc_aligned(TSHEAP_DOMAIN_RAW, 64, 0), TSHEAP_E_INVAL);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_end_domain(other, TSHEAP_DOMAIN_OBJECT, TSHEAP_END_MODE_DISCARD), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(other), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_switch(st), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
}

struct foreign {
  tsheap_state *st;
  void *block;
};

static void *foreign_thread(void *arg)
{
  struct foreign *f = arg;
  tsheap_domain_stats stats;
  void *p = NULL;
  CHECK(tsheap_state_owned(f->st) == 0);
  CHECK(tsheap_state_current() == NULL);
  CHECK_STATUS(tsheap_state_malloc(f->st, TSHEAP_DOMAIN_DEFAULT, 8, &p), TSHEAP_E_NOT_OWNER);
  CHECK(p == NULL);
  CHECK_STATUS(tsheap_state_calloc(f->st, TSHEAP_DOMAIN_DEFAULT, 1, 8, &p), TSHEAP_E_NOT_OWNER);
  CHECK_STATUS(tsheap_state_switch(f->st), TSHEAP_E_NOT_OWNER);
  CHECK_STATUS(tsheap_state_stats(f->st, TSHEAP_DOMAIN_DEFAULT, &stats), TSHEAP_E_NOT_OWNER);
  CHECK_STATUS(tsheap_state_visit(f->st, TSHEAP_DOMAIN_DEFAULT, visit_record, NULL), TSHEAP_E_NOT_OWNER);
  CHECK_STATUS(tsheap_state_set_threshold(f->st, TSHEAP_DOMAIN_DEFAULT, 1), TSHEAP_E_NOT_OWNER);
  CHECK_STATUS(tsheap_state_reset_count(f->st, TSHEAP_DOMAIN_DEFAULT), TSHEAP_E_NOT_OWNER);
  CHECK_STATUS(tsheap_state_end_domain(f->st, TSHEAP_DOMAIN_DEFAULT, TSHEAP_END_MODE_RELEASE),
               TSHEAP_E_NOT_OWNER);
  CHECK_STATUS(tsheap_state_end(f->st), TSHEAP_E_NOT_OWNER);
  /* but any thread frees */
  tsheap_free_nogil(f->block);
  return NULL;
}

static void test_foreign(tsheap_state *st)
{
  struct foreign f = { st, NULL };
  pthread_t t;
  CHECK_STATUS(tsheap_state_malloc(st, TSHEAP_DOMAIN_DEFAULT, 200, &f.block), TSHEAP_OK);
  CHECK(pthread_create(&t, NULL, foreign_thread, &f) == 0);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK(tsheap_state_owned(st) == 1);
}

static void test_nogil(void)
{
  /* the _nogil entry points work without the GIL in either build */
  void *p = tsheap_malloc_nogil(TSHEAP_DOMAIN_DEFAULT, 24);
  CHECK(p != NULL);
  CHECK(tsheap_block_size_nogil(p) >= 24);
  p = tsheap_realloc_nogil(TSHEAP_DOMAIN_DEFAULT, p, 48);
  CHECK(p != NULL);
  tsheap_free_nogil(p);
  p = tsheap_zalloc_nogil(TSHEAP_DOMAIN_DEFAULT, 8);
  CHECK(p != NULL && is_zero(p, 8));
  tsheap_free_nogil(p);
  p = tsheap_calloc_nogil(TSHEAP_DOMAIN_DEFAULT, 2, 8);
  CHECK(p != NULL && is_zero(p, 16));
  tsheap_free_nogil(p);
  p = tsheap_mallocn_nogil(TSHEAP_DOMAIN_DEFAULT, 2, 8);
  CHECK(p != NULL && tsheap_block_size_nogil(p) >= 16);
  tsheap_free_nogil(p);
  p = tsheap_malloc_aligned_nogil(TSHEAP_DOMAIN_DEFAULT, 8, 64);
  CHECK(p != NULL && ((uintptr_t)p & 63u) == 0);
  tsheap_free_nogil(p);
  CHECK(tsheap_gc_due_nogil(TSHEAP_DOMAIN_DEFAULT) == 0);
  CHECK(tsheap_malloc_nogil((tsheap_domain)TSHEAP_DOMAIN_COUNT, 8) == NULL);
}

int main(void)
{
  tsheap_state *st = NULL;
  test_identity();
  test_create_errors();
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  CHECK(st != NULL && tsheap_state_current() == st && tsheap_state_owned(st) == 1);
  for (int d = 0; d < TSHEAP_DOMAIN_COUNT; d++) {
    test_alloc((tsheap_domain)d);
    test_stats_visit(st, (tsheap_domain)d);
    test_aligned(st, (tsheap_domain)d);
    test_counters(st, (tsheap_domain)d, (int)TSHEAP_DOMAIN_COUNTED(d));
    test_explicit(st, (tsheap_domain)d);
  }
  test_bad_domain();
  test_switch(st);
  test_end_domain();
  CHECK(tsheap_state_current() == NULL);
  test_realloc_moves_domain();
  CHECK(tsheap_state_current() == NULL);
  CHECK_STATUS(tsheap_state_switch(st), TSHEAP_OK);
  test_foreign(st);
  test_nogil();
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  CHECK(tsheap_state_current() == NULL);
  return check_done();
}
