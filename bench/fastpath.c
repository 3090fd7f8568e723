/* fastpath.c - allocate+free pairs, for instruction counts under callgrind.
 * Built three ways by fastpath.sh: mimalloc on a heap in hand (USE_MIMALLOC),
 * the free-threaded build, the GIL build.
 *
 *   fastpath ROUNDS SIZE [PATTERN]   ROUNDS*1000 pairs of SIZE bytes
 *
 * PATTERN "batch" (the default): 1000 allocations, then 1000 frees; "same":
 * each block freed at once, so the same block comes back every time. */
#include <stdlib.h>
#include <string.h>

#ifdef USE_MIMALLOC
#include <mimalloc.h>
#define ALLOC(size) mi_heap_malloc(heap, size)
#define FREE(p) mi_free(p)
#else
#include <tsheap/tsheap.h>
#define ALLOC(size) tsheap_malloc(TSHEAP_DOMAIN_OBJECT, size)
#define FREE(p) tsheap_free(p)
#endif

#define BATCH 1000

int main(int argc, char **argv)
{
  long rounds = argc > 1 ? atol(argv[1]) : 1000;
  size_t size = argc > 2 ? (size_t)atol(argv[2]) : 64;
  int same = argc > 3 && strcmp(argv[3], "same") == 0;
  void *p[BATCH];
#ifdef USE_MIMALLOC
  mi_heap_t *heap = mi_heap_new();
#else
  tsheap_state *st;
  if (tsheap_state_create(0, &st) != TSHEAP_OK) return 1;
#ifndef TSHEAP_FREE_THREADED
  tsheap_gil_acquire();
#endif
#endif
  for (long r = 0; r < rounds; r++) {
    if (same) {
      for (int i = 0; i < BATCH; i++) FREE(ALLOC(size));
    } else {
      for (int i = 0; i < BATCH; i++) p[i] = ALLOC(size);
      for (int i = 0; i < BATCH; i++) FREE(p[i]);
    }
  }
  return 0;
}
