/* gil.c - the GIL build's global lock.
 *
 * The caller holds it around heap calls, as CPython's callers hold the GIL
 * around PyObject_Malloc, so the allocation path itself takes no lock and
 * does no atomic read-modify-write.  It is not recursive: "do I hold it" is a
 * thread-local flag, which the _nogil entry points and the state functions
 * use to take it only when needed.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static pthread_mutex_t gil = PTHREAD_MUTEX_INITIALIZER;
/* initial-exec: every _nogil call reads it, and the default model for a
 * shared library would cost a __tls_get_addr call each time. */
static __thread int held TSHEAP__TLS_MODEL;
static int fork_took_it;   /* prepare took the GIL for fork (it was not held) */

int tsheap__gil_held_here(void) { return held; }

static atomic_int waiting;   /* threads blocked in tsheap__gil_enter */

int tsheap__gil_enter(void)
{
  if (held)
    return 0;
  if (pthread_mutex_trylock(&gil) != 0) {
    atomic_fetch_add_explicit(&waiting, 1, memory_order_relaxed);
    pthread_mutex_lock(&gil);
    atomic_fetch_sub_explicit(&waiting, 1, memory_order_relaxed);
  }
  held = 1;
  return 1;
}

void tsheap__gil_leave(int locked)
{
  if (locked) {
    held = 0;
    pthread_mutex_unlock(&gil);
  }
}

void tsheap__gil_fatal(const char *function)
{
  fprintf(stderr, "tsheap: %s called without holding the GIL\n", function);
  abort();
}

tsheap_status tsheap__gil_acquire(void)
{
  if (held)
    return TSHEAP_E_GIL;
  tsheap__gil_enter();
  return TSHEAP_OK;
}

tsheap_status tsheap__gil_release(void)
{
  if (!held)
    return TSHEAP_E_GIL;
  tsheap__gil_leave(1);
  return TSHEAP_OK;
}

tsheap_status tsheap__gil_yield(void)
{
  if (!held)
    return TSHEAP_E_GIL;
  if (atomic_load_explicit(&waiting, memory_order_relaxed) != 0) {
    tsheap__gil_leave(1);
    sched_yield();            /* the waiter, woken by the unlock, gets its turn */
    tsheap__gil_enter();
  }
  return TSHEAP_OK;
}

void backend_thread_exit(void) {}
int backend_lock(void) { return tsheap__gil_enter(); }
void backend_unlock(int locked) { tsheap__gil_leave(locked); }

/* Hold the GIL across fork() so that no other thread is inside the regions;
 * the child gets a fresh lock, held again only if the forking thread held it. */
void backend_fork_prepare(void) { fork_took_it = tsheap__gil_enter(); }
void backend_fork_parent(void) { tsheap__gil_leave(fork_took_it); }

void backend_fork_child(void)
{
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  gil = fresh;
  atomic_store(&waiting, 0);   /* the parent's waiters are not here */
  if (fork_took_it)
    held = 0;
  else
    pthread_mutex_lock(&gil);
}
