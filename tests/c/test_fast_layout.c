/* test_fast_layout.c - the header's copy of mimalloc's layout (free-threaded).
 *
 * The probe (core/fast_layout.c, built in here) must accept the header's
 * numbers on the mimalloc this system has, and refuse each number changed
 * alone without crashing.  Through the library: a thread with a state gets
 * the inline paths, and blocks that go through them, or around them (full
 * pages, retired pages, aligned blocks, big blocks, other threads, the
 * layout turned off), stay what mimalloc counts. */
#include <pthread.h>
#include <string.h>

#include "check.h"
#include "layout.h"

static void probe_accepts_the_header(void)
{
#if defined(__x86_64__)
  CHECK(fast_layout_probe(&fast_layout_header) == 1);
#else
  CHECK(fast_layout_probe(&fast_layout_header) == -1);   /* no thread value known there */
#endif
}

/* Each number off by a little, as another build of mimalloc would have it. */
static void probe_refuses_each_wrong_number(void)
{
  static const struct { size_t offset; long delta; const char *what; } wrong[] = {
    { offsetof(fast_layout, small_max), -8, "small_max" },
    { offsetof(fast_layout, direct_offset), 8, "direct_offset" },
    { offsetof(fast_layout, slice_shift), -1, "slice_shift" },
    { offsetof(fast_layout, thread_offset), 8, "thread_offset" },
    { offsetof(fast_layout, slices_offset), 8, "slices_offset" },
    { offsetof(fast_layout, slices_offset), 80, "slices_offset" },
    { offsetof(fast_layout, page_size), 16, "page_size" },
    { offsetof(fast_layout, page_slice_offset), -4, "page_slice_offset" },
    { offsetof(fast_layout, page_flags), 1, "page_flags" },
    { offsetof(fast_layout, page_free), 8, "page_free" },
    { offsetof(fast_layout, page_used), 4, "page_used" },
    { offsetof(fast_layout, page_block_size), -4, "page_block_size" },
    { offsetof(fast_layout, page_local_free), 8, "page_local_free" },
    { offsetof(fast_layout, page_size), 4096, "page_size" },   /* not plausible */
  };
  for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
    fast_layout l = fast_layout_header;
    size_t *field = (size_t *)(void *)((char *)&l + wrong[i].offset);
    *field = (size_t)((long)*field + wrong[i].delta);
    int verdict = fast_layout_probe(&l);
    if (verdict != -1)
      fprintf(stderr, "%s %+ld: probe gave %d\n", wrong[i].what, wrong[i].delta, verdict);
    CHECK(verdict == -1);
  }
}

/* The threads exit together: a thread that exits hands its segments to
 * the next that asks, through synchronization inside mimalloc that
 * ThreadSanitizer does not see, and mimalloc's memset of them would then
 * look like a race with the exited thread's probe. */
static pthread_barrier_t probed;

static void *probe_thread(void *arg)
{
  (void)arg;
  probe_accepts_the_header();
  pthread_barrier_wait(&probed);
  return NULL;
}

static void probe_on_threads_at_once(void)
{
  pthread_t t[4];
  CHECK(pthread_barrier_init(&probed, NULL, 4) == 0);
  for (int i = 0; i < 4; i++)
    CHECK(pthread_create(&t[i], NULL, probe_thread, NULL) == 0);
  for (int i = 0; i < 4; i++)
    CHECK(pthread_join(t[i], NULL) == 0);
  pthread_barrier_destroy(&probed);
}

/* ---- through the library ---- */

static size_t live(tsheap_state *st, tsheap_domain d)
{
  tsheap_domain_stats s;
  CHECK_STATUS(tsheap_state_stats(st, d, &s), TSHEAP_OK);
  return s.live_blocks;
}

#define MANY 20000   /* several pages of every size: full pages and retired ones */

static void *blocks[MANY];

/* Allocate and free MANY blocks of a size in an order that fills pages,
 * frees some to their last block and leaves others half used. */
static void churn(tsheap_state *st, size_t size)
{
  size_t before = live(st, TSHEAP_DOMAIN_OBJECT);
  int ok = 1;
  for (int i = 0; i < MANY; i++) {
    blocks[i] = tsheap_malloc(TSHEAP_DOMAIN_OBJECT, size);
    if (blocks[i] == NULL || tsheap_block_size(blocks[i]) < size) ok = 0;
    else memset(blocks[i], i & 0xff, size);
  }
  CHECK(ok);
  CHECK(live(st, TSHEAP_DOMAIN_OBJECT) == before + MANY);
  for (int i = 0; i < MANY; i += 2) tsheap_free(blocks[i]);
  CHECK(live(st, TSHEAP_DOMAIN_OBJECT) == before + MANY / 2);
  for (int i = 0; i < MANY; i += 2) blocks[i] = tsheap_malloc(TSHEAP_DOMAIN_OBJECT, size);
  for (int i = 0; i < MANY; i++) {
    if (i % 2 == 1 && ((unsigned char *)blocks[i])[size - 1] != (i & 0xff)) ok = 0;
    tsheap_free(blocks[i]);
  }
  CHECK(ok);
  CHECK(live(st, TSHEAP_DOMAIN_OBJECT) == before);
}

static void inline_paths_keep_mimalloc_counts(void)
{
  tsheap_state *st;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
#if defined(__x86_64__)
  /* under ThreadSanitizer the header's paths call mimalloc (tsheap.h says why) */
  CHECK(tsheap__ft_current.mi_thread == (TSHEAP__MI_INLINE ? (uintptr_t)__builtin_thread_pointer() : 0));
#endif
  static const size_t sizes[] = { 1, 8, 16, 48, 100, 256, 1000, 1024, 1025, 4096, 70000 };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    churn(st, sizes[i]);
  void *z = tsheap_malloc(TSHEAP_DOMAIN_OBJECT, 0);
  CHECK(z != NULL);
  tsheap_free(z);
  tsheap_free(NULL);

  /* aligned blocks live on pages flagged for them: freed by mimalloc */
  for (int i = 0; i < 1000; i++) {
    blocks[i] = tsheap_malloc_aligned(TSHEAP_DOMAIN_OBJECT, 48, 64);
    CHECK(((uintptr_t)blocks[i] & 63) == 0);
  }
  for (int i = 0; i < 1000; i++) tsheap_free(blocks[i]);
  CHECK(live(st, TSHEAP_DOMAIN_OBJECT) == 0);

  /* the layout off: every path calls mimalloc, and the counts still agree */
  uintptr_t saved = tsheap__ft_current.mi_thread;
  tsheap__ft_current.mi_thread = 0;
  churn(st, 48);
  tsheap__ft_current.mi_thread = saved;
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
}

/* A page with no free block sits in mimalloc's full queue, where no
 * allocation looks; a free there must bring it back (mimalloc's work, so
 * the inline free leaves it to mimalloc), or its blocks are lost until the
 * page empties. */
static void full_pages_come_back(void)
{
  enum { PAGES = 8, PER_PAGE = 64, N = PAGES * PER_PAGE };   /* 1024 B: 64 a page */
  static void *first[N], *again[N];
  tsheap_state *st;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  for (int i = 0; i < N; i++) first[i] = tsheap_malloc(TSHEAP_DOMAIN_OBJECT, 1024);
  for (int i = 0; i < N; i++)
    if (i % 8 != 0) tsheap_free(first[i]);   /* every page keeps some blocks */
  for (int i = 0; i < N; i++) again[i] = tsheap_malloc(TSHEAP_DOMAIN_OBJECT, 1024);
  int reused = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      if (j % 8 != 0 && again[i] == first[j]) reused++;
  /* all but the last page were full: their freed blocks come back first */
  CHECK(reused >= (PAGES - 1) * PER_PAGE * 7 / 8);
  for (int i = 0; i < N; i++) {
    tsheap_free(again[i]);
    if (i % 8 == 0) tsheap_free(first[i]);
  }
  CHECK(live(st, TSHEAP_DOMAIN_OBJECT) == 0);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
}

/* Blocks of one thread freed by another (which has a state of its own, so
 * its inline free runs and must hand them to mimalloc), then by a thread
 * with no state at all. */
static void *free_half(void *arg)
{
  void **b = arg;
  tsheap_state *st;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  for (int i = 0; i < MANY / 2; i++) tsheap_free(b[i]);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  return NULL;
}

static void *free_rest(void *arg)
{
  void **b = arg;
  for (int i = MANY / 2; i < MANY; i++) tsheap_free(b[i]);
  return NULL;
}

static void other_threads_free_through_mimalloc(void)
{
  tsheap_state *st;
  pthread_t t;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  for (int i = 0; i < MANY; i++) blocks[i] = tsheap_malloc(TSHEAP_DOMAIN_OBJECT, 64);
  CHECK(pthread_create(&t, NULL, free_half, blocks) == 0 && pthread_join(t, NULL) == 0);
  CHECK(pthread_create(&t, NULL, free_rest, blocks) == 0 && pthread_join(t, NULL) == 0);
  CHECK(live(st, TSHEAP_DOMAIN_OBJECT) == 0);
  for (int i = 0; i < MANY; i++) blocks[i] = tsheap_malloc(TSHEAP_DOMAIN_OBJECT, 64);
  CHECK(live(st, TSHEAP_DOMAIN_OBJECT) == MANY);
  for (int i = 0; i < MANY; i++) tsheap_free(blocks[i]);
  CHECK(live(st, TSHEAP_DOMAIN_OBJECT) == 0);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
}

int main(void)
{
  probe_accepts_the_header();
  probe_refuses_each_wrong_number();
  probe_on_threads_at_once();
  inline_paths_keep_mimalloc_counts();
  full_pages_come_back();
  other_threads_free_through_mimalloc();
  return check_done();
}
