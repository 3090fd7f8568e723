/* internal.h - the thread state, shared by both builds.
 *
 * A state is created on its owner thread and lives until tsheap_state_end.
 * The owner allocates; any thread frees.  When the owner thread exits first,
 * state.c releases every open domain before mimalloc tears the thread's heaps
 * down, and the state is left "orphaned": no heap pointer survives in it.
 */
#ifndef TSHEAP_INTERNAL_H
#define TSHEAP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "tsheap_impl.h"
#include "backend.h"
#include "world.h"
#include "build.h"     /* the build's own: core/ft/ or core/gil/ */

struct tsheap_state {
  state_fast fast;              /* first: the header's fast paths point here */
  uint64_t owner;               /* thread_id() of the owner thread */
  atomic_int orphaned;          /* the owner exited; every domain was released */
  unsigned open;                /* domains not yet ended */
  unsigned discardable;         /* domains that may end by discard */
  tsheap_state *next;           /* the owner thread's other states */
  backend_domain domain[TSHEAP_DOMAIN_COUNT];
};

#define DOMAIN_OPEN(st, d) (((st)->open >> (unsigned)(d)) & 1u)

/* state.c: a number unique per thread, never reused.  Initial-exec TLS and
 * inline: every ownership check reads it, Lua's allocations included. */
extern __thread uint64_t tsheap__my_thread_id TSHEAP__TLS_MODEL;   /* 0 until first asked */
uint64_t thread_id_first(void);

static inline uint64_t thread_id(void)
{
  uint64_t id = tsheap__my_thread_id;
  return TSHEAP__UNLIKELY(id == 0) ? thread_id_first() : id;
}

static inline int owned_here(const tsheap_state *st)
{
  return st->owner == thread_id() && !atomic_load_explicit(&st->orphaned, memory_order_acquire);
}

/* A discard keeps its memory for the next domain; memory left idle this long
 * goes back to the OS when a domain next ends (both builds). */
#define IDLE_DROP_MS 100

static inline uint64_t monotonic_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

#endif
