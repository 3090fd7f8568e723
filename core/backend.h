/* backend.h - what each build implements for one domain of a thread state.
 *
 * state.c owns the thread-state lifecycle and every check; a backend only
 * moves memory: ft/backend_ft.c (one mimalloc heap per domain) and
 * gil/backend_gil.c (pymalloc-style arenas for small blocks, mimalloc
 * above).  Each build's build.h gives its part of a state (backend_domain)
 * and backend_current().  All calls for a state come from its owner
 * thread, and in the GIL build with the GIL held.
 */
#ifndef TSHEAP_BACKEND_H
#define TSHEAP_BACKEND_H

#include <stddef.h>

#include "tsheap_impl.h"

tsheap_status backend_open(tsheap_state *st, tsheap_domain d, int discardable);
void          backend_end(tsheap_state *st, tsheap_domain d, tsheap_end_mode mode);
/* Allocate count*size bytes (overflow already checked), zeroed if asked. */
void         *backend_alloc(tsheap_state *st, tsheap_domain d, size_t size, int zero);
/* Resize p (any live block, NULL for none) into the domain; NULL leaves p alone. */
void         *backend_realloc(tsheap_state *st, tsheap_domain d, void *p, size_t size);
void          backend_free(void *p);
tsheap_status backend_visit(tsheap_state *st, tsheap_domain d, tsheap_visit_fn fn, void *arg);
/* Make the state's heaps the calling thread's current ones (NULL: none). */
void          backend_attach(tsheap_state *st);
/* backend_current() is inline in the build's own header. */

/* The calling thread is exiting and every domain of its states has ended. */
void          backend_thread_exit(void);

/* The GIL build's lock around state work; no-ops in the free-threaded build. */
int           backend_lock(void);
void          backend_unlock(int locked);

/* fork(): the child keeps the forking thread's states working. */
void          backend_fork_prepare(void);
void          backend_fork_parent(void);
void          backend_fork_child(void);

#endif
