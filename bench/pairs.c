/* pairs.c - workload 1: allocate+free pairs of one size in two patterns.
 * "same" frees each block at once, so the allocator hands the same block
 * back; "batch" allocates 1000 blocks, then frees them in order.  A third,
 * "mixed", allocates 1000 blocks of sizes from 16 to 256 B and frees them in
 * a shuffled order, as a program's objects come and go (the same sizes and
 * order for every peer).  "sweep" runs the batch pattern on every size from
 * 16 to 256 B in 16 B steps, as many pairs each: the range's mean.
 *
 *   pairs PAIRS                     ns per pair, every pattern and size
 *                                   (a tenth of PAIRS above 256 B)
 *   pairs cg PATTERN SIZE ROUNDS    ROUNDS*1000 pairs, untimed, for callgrind
 *
 * GIL peers hold the GIL for the whole run, as CPython's callers do. */
#include <string.h>

#include "clock.h"
#include "peer.h"

#define BATCH 1000

static void *blocks[BATCH];

static void same(size_t size, long pairs)
{
  for (long i = 0; i < pairs; i++) {
    void *p = peer_malloc(size);
    peer_escape(p);
    peer_free(p);
  }
}

static void batch(size_t size, long rounds)
{
  for (long r = 0; r < rounds; r++) {
    for (int i = 0; i < BATCH; i++) blocks[i] = peer_malloc(size);
    peer_escape(blocks);
    for (int i = 0; i < BATCH; i++) peer_free(blocks[i]);
  }
}

static size_t mixed_size[BATCH];
static int mixed_order[BATCH];

static void mixed_init(void)
{
  unsigned x = 12345;
  for (int i = 0; i < BATCH; i++) {
    x = x * 1103515245u + 12345u;
    mixed_size[i] = 16 + (x >> 8) % 241;
    mixed_order[i] = i;
  }
  for (int i = BATCH - 1; i > 0; i--) {
    x = x * 1103515245u + 12345u;
    int j = (int)((x >> 8) % (unsigned)(i + 1)), t = mixed_order[i];
    mixed_order[i] = mixed_order[j];
    mixed_order[j] = t;
  }
}

static void mixed(long rounds)
{
  for (long r = 0; r < rounds; r++) {
    for (int i = 0; i < BATCH; i++) blocks[i] = peer_malloc(mixed_size[i]);
    peer_escape(blocks);
    for (int i = 0; i < BATCH; i++) peer_free(blocks[mixed_order[i]]);
  }
}

#define SWEEP_SIZES 16

static void sweep(long rounds)
{
  for (size_t size = 16; size <= 16 * SWEEP_SIZES; size += 16)
    batch(size, rounds);
}

/* Warm up, then report ns per pair: fn(rounds) makes rounds * pairs of them. */
static void timed(const char *config, void (*fn)(long), long rounds, long pairs)
{
  fn(rounds / 10 + 1);
  double t0 = now_ns();
  fn(rounds);
  double t1 = now_ns();
  report("pairs", peer_label(), config, "ns", (t1 - t0) / (double)(rounds * pairs));
}

static void run(const char *pattern, size_t size, long pairs)
{
  if (strcmp(pattern, "same") == 0)
    same(size, pairs);
  else
    batch(size, pairs / BATCH);
}

int main(int argc, char **argv)
{
  static const size_t sizes[] = { 16, 64, 256, 1024, 4096 };
  static const char *const patterns[] = { "same", "batch" };
  peer_init();
  peer_thread_begin();
  peer_lock();
  if (argc == 5 && strcmp(argv[1], "cg") == 0) {
    run(argv[2], (size_t)atol(argv[3]), atol(argv[4]) * BATCH);
  } else {
    long pairs = argc > 1 ? atol(argv[1]) : 5000000;
    pairs = (pairs < 10 * BATCH ? 10 * BATCH : pairs) / BATCH * BATCH;
    for (int p = 0; p < 2; p++)
      for (int s = 0; s < 5; s++) {
        char config[32];
        /* big blocks cost up to 100x more on some peers (glibc trims its
         * heap after each batch): a tenth of the pairs is plenty there */
        long n = sizes[s] > 256 ? pairs / 10 / BATCH * BATCH : pairs;
        run(patterns[p], sizes[s], n / 10 + BATCH);   /* warm the size class */
        double t0 = now_ns();
        run(patterns[p], sizes[s], n);
        double t1 = now_ns();
        snprintf(config, sizeof config, "%s/%zu", patterns[p], sizes[s]);
        report("pairs", peer_label(), config, "ns", (t1 - t0) / (double)n);
      }
    timed("batch/16-256", sweep, pairs / BATCH / SWEEP_SIZES, BATCH * SWEEP_SIZES);
    mixed_init();
    timed("mixed/16-256", mixed, pairs / BATCH, BATCH);
  }
  peer_unlock();
  peer_thread_end();
  return 0;
}
