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
  size_t cap;          /* 0: none */
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
  h->cap = cap;
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

void *tsheap__lua_alloc(void *ud, void *block, size_t osize, size_t nsize)
{
  tsheap_lua_heap *h = ud;
  tsheap_state *st = h->state;
  if (block == NULL)
    osize = 0;              /* Lua 5.4 passes the object's type there */
  if (nsize == 0) {
    backend_free(block);
    h->used -= osize;
    return NULL;
  }
  /* Only the owner thread may touch the heap; a shrink elsewhere stays put. */
  int usable = owned_here(st) && DOMAIN_OPEN(st, h->domain);
  if (nsize > osize && (!usable || (h->cap != 0 && nsize - osize > h->cap - h->used)))
    return NULL;
  void *p = usable ? backend_realloc(st, h->domain, block, nsize) : NULL;
  if (p == NULL) {
    if (nsize > osize)
      return NULL;
    p = block;              /* a shrink that could not move stays where it is */
  } else if (block == NULL && TSHEAP_DOMAIN_COUNTED(h->domain)) {
    st->fast.count[h->domain]++;
  }
  h->used = h->used - osize + nsize;
  return p;
}
