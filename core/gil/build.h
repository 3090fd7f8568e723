/* build.h - the GIL build's part of a thread state (internal.h includes
 * the build's own build.h, found by include path). */
#ifndef TSHEAP_BUILD_H
#define TSHEAP_BUILD_H

#include <stdint.h>

#include "small.h"

/* The same shape as the free-threaded build's counters. */
typedef struct state_fast {
  void *heap[TSHEAP_DOMAIN_COUNT]; /* unused in the GIL build */
  uint64_t count[TSHEAP_DOMAIN_COUNT];
  uint64_t threshold[TSHEAP_DOMAIN_COUNT];
} state_fast;

struct large_block;

typedef struct backend_domain {
  small_owner small;           /* blocks up to TSHEAP_SMALL_MAX bytes */
  struct large_block *large;   /* the larger ones, from mimalloc */
} backend_domain;

extern __thread tsheap_state *backend_gil_current TSHEAP__TLS_MODEL;

static inline tsheap_state *backend_current(void) { return backend_gil_current; }

#endif
