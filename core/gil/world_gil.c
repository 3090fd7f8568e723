/* world_gil.c - stopping the world in the GIL build: holding the GIL is
 * what stops it.  Every heap call needs the GIL, so a thread that does not
 * hold it is parked by definition; one that holds it for long stretches
 * lets it go at its safepoints to whoever waits, a stop too.  Detaching changes
 * nothing here (a detached thread's allocations are not refused), and
 * attaching waits out a stop held by another thread.
 */
#include "internal.h"

static atomic_int stopping;          /* threads in or waiting for world_stop */
static atomic_uint_fast64_t stopper; /* thread_id() of the thread holding the world stopped, or 0 */
static __thread int took_gil;        /* world_stop took the GIL, so world_start lets it go */

static int stopped_by_me(void) { return atomic_load_explicit(&stopper, memory_order_relaxed) == thread_id(); }

/* Another thread holds the world stopped: wait for the GIL it holds. */
static void wait_for_start(void)
{
  if (atomic_load(&stopping) != 0 && !stopped_by_me() && !tsheap__gil_held_here())
    tsheap__gil_leave(tsheap__gil_enter());
}

void world_join(void) { wait_for_start(); }

void world_quit(void) {}

void world_attach(void) { wait_for_start(); }

void world_detach(void) {}

int world_attached(void) { return 1; }

/* A GIL runtime's eval breaker is where the GIL changes hands: any waiter
 * gets it, a stopper among them. */
void tsheap__safepoint(void)
{
  if (tsheap__gil_held_here() && !stopped_by_me())
    tsheap__gil_yield();
}

tsheap_status tsheap__world_stop(void)
{
  if (stopped_by_me())
    return TSHEAP_E_WORLD;
  atomic_fetch_add(&stopping, 1);
  took_gil = tsheap__gil_enter();
  atomic_store_explicit(&stopper, thread_id(), memory_order_relaxed);
  return TSHEAP_OK;
}

tsheap_status tsheap__world_start(void)
{
  if (!stopped_by_me())
    return TSHEAP_E_WORLD;
  atomic_store_explicit(&stopper, 0, memory_order_relaxed);
  atomic_fetch_sub(&stopping, 1);
  tsheap__gil_leave(took_gil);
  took_gil = 0;
  return TSHEAP_OK;
}

int tsheap__world_stopped(void) { return stopped_by_me(); }

/* The GIL itself is made afresh in the child (gil.c). */
void world_fork_prepare(void) {}
void world_fork_parent(void) {}

void world_fork_child(void)
{
  int mine = stopped_by_me();
  atomic_store(&stopping, mine);
  if (!mine)
    atomic_store(&stopper, 0);
}
