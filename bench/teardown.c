/* teardown.c - workload 5: a million small blocks (32 to 64 bytes) in a
 * discardable domain, then either one discard or a free for each block.
 * Built for tsheap (both builds) and, as a reference, for a mimalloc heap
 * (mi_heap_destroy against mi_free).  Prints milliseconds for each, the
 * median of ROUNDS alternating runs (a discard takes some 50 us: one run
 * alone is at the mercy of one interruption), and the MiB still resident
 * after the discard: an allocator may keep the memory for the next domain
 * or give it back to the OS, which costs time; then the MiB still resident
 * after 250 ms idle and one more short domain.
 *
 *   teardown BLOCKS */
#include "clock.h"
#include "peer.h"
#include "rss.h"

#if !defined(PEER_TSHEAPT) && !defined(PEER_TSHEAP) && !defined(PEER_MIHEAP)
#error "teardown is built for tsheap and mi_heap only"
#endif

static void **blocks;

#ifdef PEER_MIHEAP
static mi_heap_t *heap;
static void open_domain(void) { heap = mi_heap_new(); if (heap == NULL) peer_die("mi_heap_new failed"); }
static void *alloc(size_t size) { return mi_heap_malloc(heap, size); }
static void discard(void) { mi_heap_destroy(heap); }
static void close_domain(int discarded) { if (!discarded) mi_heap_delete(heap); }
static void one_more_domain(void)
{
  mi_heap_t *h = mi_heap_new();
  if (h == NULL) peer_die("mi_heap_new failed");
  mi_free(mi_heap_malloc(h, 64));
  mi_heap_delete(h);
}
#else
static tsheap_state *st;
static void open_domain(void)
{
  tsheap_status s = tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_OBJECT), &st);
  if (s != TSHEAP_OK) peer_die(tsheap_strerror(s));
}
static void *alloc(size_t size) { return tsheap_malloc(TSHEAP_DOMAIN_OBJECT, size); }
static void discard(void)
{
  tsheap_status s = tsheap_state_end_domain(st, TSHEAP_DOMAIN_OBJECT, TSHEAP_END_MODE_DISCARD);
  if (s != TSHEAP_OK) peer_die(tsheap_strerror(s));
}
static void close_domain(int discarded) { (void)discarded; tsheap_state_end(st); }
static void one_more_domain(void)
{
  tsheap_state *t;
  tsheap_status s = tsheap_state_create(0, &t);
  if (s != TSHEAP_OK) peer_die(tsheap_strerror(s));
  tsheap_free_nogil(tsheap_malloc_nogil(TSHEAP_DOMAIN_OBJECT, 64));
  tsheap_state_end(t);
}
#endif

#define ROUNDS 5

static double start_mib;  /* RSS before any domain was filled */
static double kept_mib;   /* RSS after the last teardown, less start_mib */

static double run(long n, int by_discard)
{
  open_domain();
  peer_lock();
  for (long i = 0; i < n; i++) {
    blocks[i] = alloc(32 + (size_t)(i * 7 % 33));
    if (blocks[i] == NULL) peer_die("out of memory filling the domain");
  }
  peer_unlock();
  double t0 = now_ns();
  if (by_discard) {
    discard();                  /* a state function: takes the GIL itself */
  } else {
    peer_lock();
    for (long i = 0; i < n; i++) peer_free(blocks[i]);
    peer_unlock();
  }
  double t1 = now_ns();
  kept_mib = rss_mib() - start_mib;
  close_domain(by_discard);
  return (t1 - t0) / 1e6;
}

static double median(double *v)
{
  for (int i = 1; i < ROUNDS; i++)
    for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
      double t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  return v[ROUNDS / 2];
}

int main(int argc, char **argv)
{
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  if (n < 1) peer_die("bad arguments");
  blocks = malloc((size_t)n * sizeof *blocks);
  if (blocks == NULL) peer_die("out of memory");
  /* its pages are not the domain's: make them resident now (not 0, which
   * gcc would turn into a calloc that touches nothing) */
  memset(blocks, 0xff, (size_t)n * sizeof *blocks);
  peer_init();
  start_mib = rss_mib();
  run(n / 10 + 1, 1);           /* warm up: map the arena once */
  double each[ROUNDS], discarded[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    each[r] = run(n, 0);
    discarded[r] = run(n, 1);
  }
  report("teardown", PEER_NAME, "free-each", "ms", median(each));
  report("teardown", PEER_NAME, "discard", "ms", median(discarded));
  report("teardown", PEER_NAME, "kept", "MiB", kept_mib);
  /* what comes back on its own: the memory idle a while, then one more
   * short domain (tsheap-ft drops an arena idle for 100 ms when a domain
   * ends; mimalloc purges freed segments whose delay has passed when it
   * next needs one) */
  struct timespec idle = { 0, 250 * 1000000L };
  nanosleep(&idle, NULL);
  one_more_domain();
  report("teardown", PEER_NAME, "idle", "MiB", rss_mib() - start_mib);
  return 0;
}
