/* backend_ft.h - the free-threaded build's part of a state's domain. */
#ifndef TSHEAP_BACKEND_FT_H
#define TSHEAP_BACKEND_FT_H

typedef struct backend_domain {
  int arena;      /* slot of the exclusive arena a discardable heap lives in, or -1 */
} backend_domain;

/* The state's counters and heaps are its first member: the TLS pointer the
 * inline fast paths read is the state itself, or this stand-in without heaps. */
extern tsheap__ft_fast backend_ft_no_state;

static inline tsheap_state *backend_current(void)
{
  tsheap__ft_fast *fast = tsheap__ft_current;
  return fast == &backend_ft_no_state ? NULL : (tsheap_state *)(void *)fast;
}

#endif
