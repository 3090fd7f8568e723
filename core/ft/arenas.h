/* arenas.h - the exclusive mimalloc arenas that discardable domains
 * live in (free-threaded build); backend_ft.c says why they exist. */
#ifndef TSHEAP_ARENAS_H
#define TSHEAP_ARENAS_H

#include <mimalloc.h>

#include "tsheap_impl.h"

/* Lends a free arena (the one returned last: its pages are warm) or a new
 * one: its slot, with its id in *id.  -1 when none is left (*why is
 * TSHEAP_E_LIMIT) or there is no memory for a new one (TSHEAP_E_NOMEM). */
int arenas_borrow(mi_arena_id_t *id, tsheap_status *why);

/* Takes a slot back.  clean: nothing in the arena is live any more, it may be
 * lent again; otherwise it is retired for good. */
void arenas_return(int slot, int clean);

/* Drops the pages of an arena idle past the pool's delay, if there is one;
 * a load when there is none.  For calls that come now and then. */
void arenas_tidy(void);

/* Around fork(): the child must not inherit the pool's lock held by a
 * thread that it does not have. */
void arenas_lock(void);
void arenas_unlock(void);

#endif
