/* fastpath.c - allocate+free pairs in batches of 1000, for instruction counts
 * under callgrind.  Built three ways by fastpath.sh: mimalloc on a heap in
 * hand (USE_MIMALLOC), the free-threaded build, the GIL build. */
#include <stdlib.h>

#ifdef USE_MIMALLOC
#include <mimalloc.h>
#else
#include <tsheap/tsheap.h>
#endif

#define BATCH 1000

int main(int argc, char **argv)
{
  long rounds = argc > 1 ? atol(argv[1]) : 1000;
  size_t size = argc > 2 ? (size_t)atol(argv[2]) : 64;
  void *p[BATCH];
#ifdef USE_MIMALLOC
  mi_heap_t *heap = mi_heap_new();
  for (long r = 0; r < rounds; r++) {
    for (int i = 0; i < BATCH; i++) p[i] = mi_heap_malloc(heap, size);
    for (int i = 0; i < BATCH; i++) mi_free(p[i]);
  }
#else
  tsheap_state *st;
  if (tsheap_state_create(0, &st) != TSHEAP_OK) return 1;
#ifndef TSHEAP_FREE_THREADED
  tsheap_gil_acquire();
#endif
  for (long r = 0; r < rounds; r++) {
    for (int i = 0; i < BATCH; i++) p[i] = tsheap_malloc(TSHEAP_DOMAIN_OBJECT, size);
    for (int i = 0; i < BATCH; i++) tsheap_free(p[i]);
  }
#endif
  return 0;
}
