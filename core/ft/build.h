/* build.h - the free-threaded build's part of a thread state (internal.h
 * includes the build's own build.h, found by include path). */
#ifndef TSHEAP_BUILD_H
#define TSHEAP_BUILD_H

/* The header's inline paths read the counters and heaps: its type. */
typedef tsheap__ft_fast state_fast;

typedef struct backend_domain {
  int arena;      /* slot of the exclusive arena a discardable heap lives in, or -1 */
} backend_domain;

/* The state's counters and heaps are its first member: the view's pointer
 * to them is the state itself, or this stand-in without heaps.  The view's
 * copy of the heaps changes only through backend_attach, which state.c calls
 * whenever the current state's heaps change. */
extern tsheap__ft_fast backend_ft_no_state;

static inline tsheap_state *backend_current(void)
{
  tsheap__ft_fast *fast = tsheap__ft_current.fast;
  return fast == &backend_ft_no_state ? NULL : (tsheap_state *)(void *)fast;
}

#endif
