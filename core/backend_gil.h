/* backend_gil.h - the GIL build's part of a state's domain. */
#ifndef TSHEAP_BACKEND_GIL_H
#define TSHEAP_BACKEND_GIL_H

#include "arena.h"

struct large_block;

typedef struct backend_domain {
  arena_owner small;           /* blocks up to TSHEAP_ARENA_SMALL_MAX bytes */
  struct large_block *large;   /* the larger ones, from mimalloc */
} backend_domain;

extern __thread tsheap_state *backend_gil_current TSHEAP__TLS_MODEL;

static inline tsheap_state *backend_current(void) { return backend_gil_current; }

#endif
