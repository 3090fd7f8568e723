/* domain.c - what a state's owner does with one domain: allocate by name,
 * counters and thresholds, statistics, visits.  The stubs have checked the
 * arguments and the owner; what is left is whether the domain is still open. */
#include <string.h>

#include "internal.h"

static tsheap_status alloc(tsheap_state *st, tsheap_domain d, size_t count, size_t size, int zero,
                           void **out)
{
  *out = NULL;
  if (!DOMAIN_OPEN(st, d))
    return TSHEAP_E_ENDED;
  if (!world_attached())
    return TSHEAP_E_DETACHED;
  if (size != 0 && count > SIZE_MAX / size)
    return TSHEAP_E_OVERFLOW;
  void *p = backend_alloc(st, d, count * size, zero);
  if (p == NULL)
    return TSHEAP_E_NOMEM;
  if (TSHEAP_DOMAIN_COUNTED(d))
    st->fast.count[d]++;
  *out = p;
  return TSHEAP_OK;
}

tsheap_status tsheap__state_malloc(tsheap_state *st, tsheap_domain d, size_t size, void **out)
{
  return alloc(st, d, 1, size, 0, out);
}

tsheap_status tsheap__state_calloc(tsheap_state *st, tsheap_domain d, size_t count, size_t size, void **out)
{
  return alloc(st, d, count, size, 1, out);
}

tsheap_status tsheap__state_set_threshold(tsheap_state *st, tsheap_domain d, uint64_t threshold)
{
  if (!DOMAIN_OPEN(st, d))
    return TSHEAP_E_ENDED;
  st->fast.threshold[d] = threshold;
  return TSHEAP_OK;
}

tsheap_status tsheap__state_reset_count(tsheap_state *st, tsheap_domain d)
{
  if (!DOMAIN_OPEN(st, d))
    return TSHEAP_E_ENDED;
  st->fast.count[d] = 0;
  return TSHEAP_OK;
}

struct tally {
  size_t blocks, bytes;
};

static int count_block(void *block, size_t size, void *arg)
{
  struct tally *t = arg;
  (void)block;
  t->blocks++;
  t->bytes += size;
  return 0;
}

tsheap_status tsheap__state_stats(tsheap_state *st, tsheap_domain d, tsheap_domain_stats *out)
{
  struct tally t = { 0, 0 };
  if (!DOMAIN_OPEN(st, d))
    return TSHEAP_E_ENDED;
  if (!world_attached())
    return TSHEAP_E_DETACHED;
  tsheap_status s = backend_visit(st, d, count_block, &t);
  if (s != TSHEAP_OK)
    return s;
  memset(out, 0, sizeof *out);
  out->live_blocks = t.blocks;
  out->live_bytes = t.bytes;
  out->allocations = st->fast.count[d];
  out->threshold = st->fast.threshold[d];
  return TSHEAP_OK;
}

tsheap_status tsheap__state_visit(tsheap_state *st, tsheap_domain d, tsheap_visit_fn fn, void *arg)
{
  if (!DOMAIN_OPEN(st, d))
    return TSHEAP_E_ENDED;
  if (!world_attached())
    return TSHEAP_E_DETACHED;
  return backend_visit(st, d, fn, arg);
}
