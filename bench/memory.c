/* memory.c - workload 7: resident memory for the same work on every peer.
 * 100,000 live blocks of mixed sizes (16 B to 1 KiB, mostly small), then
 * rounds that free a random half and allocate it again with new sizes, then
 * everything freed and the thread's state (tsheap, mi_heap, pymalloc) ended.
 * Prints, in MiB: the peak RSS (VmHWM) and the RSS at the end, both less
 * the RSS measured before the work; the part of the RSS handed back lazily
 * (MADV_FREE: the kernel takes it only under pressure); and the bytes asked
 * for at the peak.
 *
 *   memory BLOCKS ROUNDS */
#include <stdint.h>

#include "clock.h"
#include "peer.h"
#include "rss.h"

static const size_t sizes[] = { 16, 16, 24, 32, 32, 48, 64, 64, 96, 128, 192, 256, 384, 512, 768, 1024 };

static uint64_t rng = 88172645463325252u;
static uint64_t next(void)       /* xorshift64: the same sequence for every peer */
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

int main(int argc, char **argv)
{
  long n = argc > 1 ? atol(argv[1]) : 100000;
  long rounds = argc > 2 ? atol(argv[2]) : 20;
  void **blocks = calloc((size_t)(n > 0 ? n : 1), sizeof *blocks);
  size_t *len = calloc((size_t)(n > 0 ? n : 1), sizeof *len);
  size_t asked = 0, peak_asked = 0;
  if (n < 1 || blocks == NULL || len == NULL) peer_die("bad arguments");
  /* make the harness's own arrays resident before the baseline */
  explicit_bzero(blocks, (size_t)n * sizeof *blocks);
  explicit_bzero(len, (size_t)n * sizeof *len);
  peer_init();
  peer_thread_begin();
  double base = rss_mib();
  rss_reset_peak();
  peer_lock();
  for (long r = 0; r <= rounds; r++) {
    for (long i = 0; i < n; i++) {
      if (r > 0 && (next() & 1) == 0) continue;     /* keep this one */
      if (blocks[i] != NULL) peer_free(blocks[i]);
      asked -= len[i];
      len[i] = sizes[next() % (sizeof sizes / sizeof sizes[0])];
      blocks[i] = peer_malloc(len[i]);
      if (blocks[i] == NULL) peer_die("out of memory");
      memset(blocks[i], (int)r, len[i]);            /* touch it: RSS counts touched pages */
      asked += len[i];
      if (asked > peak_asked) peak_asked = asked;
    }
  }
  for (long i = 0; i < n; i++) peer_free(blocks[i]);
  peer_unlock();
  peer_thread_end();
  report("memory", PEER_NAME, "peak", "MiB", proc_mib("/proc/self/status", "VmHWM") - base);
  report("memory", PEER_NAME, "after", "MiB", rss_mib() - base);
  /* MADV_FREE'd pages stay in RSS until the kernel needs them */
  report("memory", PEER_NAME, "lazyfree", "MiB", proc_mib("/proc/self/smaps_rollup", "LazyFree"));
  report("memory", PEER_NAME, "asked", "MiB", (double)peak_asked / 1048576.0);
  return 0;
}
