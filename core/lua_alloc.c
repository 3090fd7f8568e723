/* lua_alloc.c - a lua_Alloc on one domain of a thread state.
 *
 * Lua's contract (the same from 5.1 to 5.4): nsize 0 frees and returns NULL;
 * otherwise return a block of nsize bytes holding the old contents, or NULL
 * without touching the old block.  A shrink must not fail, so a failed
 * shrink keeps the old block.  The cap limits growth only, counted in the
 * sizes Lua asks for, which is what Lua itself counts.
 */
#include <stdlib.h>

#include "internal.h"

struct tsheap_lua_heap {
  tsheap_state *state;
  tsheap_domain domain;
  size_t limit;        /* the cap, or SIZE_MAX for none: one test covers both */
  size_t used;
};

tsheap_status tsheap__lua_heap_create(tsheap_state *st, tsheap_domain d, size_t cap, tsheap_lua_heap **out)
{
  if (!DOMAIN_OPEN(st, d))
    return TSHEAP_E_ENDED;
  tsheap_lua_heap *h = calloc(1, sizeof *h);
  if (h == NULL)
    return TSHEAP_E_NOMEM;
  h->state = st;
  h->domain = d;
  h->limit = cap != 0 ? cap : SIZE_MAX;
  *out = h;
  return TSHEAP_OK;
}

size_t tsheap__lua_heap_used(const tsheap_lua_heap *h) { return h->used; }

tsheap_status tsheap__lua_heap_destroy(tsheap_lua_heap *h)
{
  if (h->used != 0)
    return TSHEAP_E_INVAL;
  free(h);
  return TSHEAP_OK;
}

/* Only the owner thread may touch the heap, and only while its domain is open. */
static inline int usable(const tsheap_lua_heap *h)
{
  return owned_here(h->state) && DOMAIN_OPEN(h->state, h->domain);
}

/* A live block to a new size: a shrink elsewhere, or one that cannot move,
 * stays where it is. */
static __attribute__((noinline)) void *resize(tsheap_lua_heap *h, void *block, size_t osize, size_t nsize)
{
  int ok = usable(h);
  if (nsize > osize && (!ok || nsize - osize > h->limit - h->used))
    return NULL;
  void *p = ok ? backend_realloc(h->state, h->domain, block, nsize) : NULL;
  if (p == NULL) {
    if (nsize > osize)
      return NULL;
    p = block;
  }
  h->used = h->used - osize + nsize;
  return p;
}

/* A new block, counted for the collector like any allocation. */
static __attribute__((noinline)) void *fresh(tsheap_lua_heap *h, size_t nsize)
{
  if (nsize > h->limit - h->used || !usable(h))
    return NULL;
  void *p = backend_alloc(h->state, h->domain, nsize, 0);
  if (p != NULL) {
    h->used += nsize;
    if (TSHEAP_DOMAIN_COUNTED(h->domain))
      h->state->fast.count[h->domain]++;
  }
  return p;
}

/* A new block and a free are most of Lua's calls.  This dispatch saves no
 * registers (fresh and resize are calls of their own), so a free is little
 * more than the backend's. */
void *tsheap__lua_alloc(void *ud, void *block, size_t osize, size_t nsize)
{
  tsheap_lua_heap *h = ud;
  if (block == NULL)        /* osize is then the object's type in Lua 5.4 */
    return nsize != 0 ? fresh(h, nsize) : NULL;
  if (nsize == 0) {
    h->used -= osize;
    backend_free(block);
    return NULL;
  }
  return resize(h, block, osize, nsize);
}
