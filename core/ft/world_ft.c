/* world_ft.c - stopping the world in the free-threaded build, as CPython's
 * _PyEval_StopTheWorld does.
 *
 * Each thread in the world has a status: only the thread itself moves it
 * between attached and detached, with one atomic store or compare-and-swap;
 * a thread stopping the world moves detached threads to suspended, and an
 * attached one suspends itself at its next safepoint.  One mutex and one
 * condition variable carry every wait; a thread that attaches, detaches or
 * parks takes them only while a stop is pending, so those paths have no lock.
 *
 * The status and the pending flag are stored and then loaded sequentially
 * consistent: a detaching thread that misses the pending flag is seen
 * detached by the stopper's scan, and one that sees it wakes the stopper.
 */
#include "internal.h"

enum { DETACHED, ATTACHED, SUSPENDED };

typedef struct member {
  atomic_int status;
  int joined;
  struct member *next, **prev;
} member;

int tsheap__world_pending;   /* the header's safepoint reads it: __atomic builtins only */

/* adaptive: a thread parking meets the stopper's brief holds, and should
 * not sleep for one */
static pthread_mutex_t lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;    /* a status or the stop changed */
static pthread_mutex_t one_stop = PTHREAD_MUTEX_INITIALIZER; /* held from stop to start */
static member *members;            /* the threads in the world, under lock */
static uint64_t stopper;           /* thread_id() of the thread holding the world stopped, or 0 */
static __thread member me;         /* lives until the thread has quit */

#define STOP_SPINS 10    /* looks before a stopper sleeps: some 8 us */
#define PARK_SPINS 100   /* looks before a parked thread sleeps: some 5 us */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ volatile("yield" ::: "memory");
#else
  __asm__ volatile("" ::: "memory");
#endif
}

static int pending(void) { return __atomic_load_n(&tsheap__world_pending, __ATOMIC_SEQ_CST); }

/* only a thread itself stores its id there */
static int stopped_by_me(void) { return __atomic_load_n(&stopper, __ATOMIC_RELAXED) == thread_id(); }

/* The caller holds lock: wake whoever waits for a status or the stop. */
static void announce(void) { pthread_cond_broadcast(&changed); }

/* The caller holds lock; it may go on while the world is stopped only if it
 * stopped it. */
static void wait_for_start(void)
{
  while (pending() && !stopped_by_me())
    pthread_cond_wait(&changed, &lock);
}

void world_join(void)
{
  pthread_mutex_lock(&lock);
  wait_for_start();
  atomic_store(&me.status, ATTACHED);
  me.joined = 1;
  me.next = members;
  me.prev = &members;
  if (members != NULL)
    members->prev = &me.next;
  members = &me;
  pthread_mutex_unlock(&lock);
}

void world_quit(void)
{
  if (!me.joined)
    return;
  world_detach();
  pthread_mutex_lock(&lock);
  *me.prev = me.next;
  if (me.next != NULL)
    me.next->prev = me.prev;
  me.joined = 0;
  announce();
  pthread_mutex_unlock(&lock);
}

/* Suspended: wait for the start, looking a while before sleeping, then
 * attach, unless another stop suspended the thread again first. */
static void attach_after_start(void)
{
  for (int spins = 0;; spins++) {
    int expect = DETACHED;
    if (atomic_compare_exchange_strong(&me.status, &expect, ATTACHED))
      return;
    if (spins < PARK_SPINS) {
      cpu_relax();
      continue;
    }
    pthread_mutex_lock(&lock);
    while (atomic_load(&me.status) == SUSPENDED)
      pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
  }
}

void world_attach(void)
{
  int expect = DETACHED;
  if (!atomic_compare_exchange_strong(&me.status, &expect, ATTACHED) && expect != ATTACHED)
    attach_after_start();
}

void world_detach(void)
{
  atomic_store(&me.status, DETACHED);
  if (pending()) {
    pthread_mutex_lock(&lock);
    announce();
    pthread_mutex_unlock(&lock);
  }
}

int world_attached(void) { return !me.joined || atomic_load_explicit(&me.status, memory_order_relaxed) == ATTACHED; }

/* ---- the API ---- */

void tsheap__world_park(void)
{
  if (!me.joined || atomic_load(&me.status) != ATTACHED)
    return;
  /* suspended under the lock, so never after the stop's start looked */
  pthread_mutex_lock(&lock);
  int park = pending() && !stopped_by_me();
  if (park) {
    atomic_store(&me.status, SUSPENDED);
    announce();
  }
  pthread_mutex_unlock(&lock);
  if (park)
    attach_after_start();
}

/* The caller holds lock.  Detached threads are suspended; the count is of
 * those still running. */
static int still_running(void)
{
  int running = 0;
  for (member *m = members; m != NULL; m = m->next) {
    int expect = DETACHED;
    if (m != &me && !atomic_compare_exchange_strong(&m->status, &expect, SUSPENDED) && expect == ATTACHED)
      running++;
  }
  return running;
}

tsheap_status tsheap__world_stop(void)
{
  if (stopped_by_me())
    return TSHEAP_E_WORLD;
  /* While it waits its turn the caller must not hold up the stop being
   * served: detached, it is suspended like any other thread. */
  int was_attached = me.joined && atomic_load(&me.status) == ATTACHED;
  if (was_attached)
    world_detach();
  pthread_mutex_lock(&one_stop);
  if (was_attached)
    world_attach();
  pthread_mutex_lock(&lock);
  __atomic_store_n(&stopper, thread_id(), __ATOMIC_RELAXED);
  __atomic_store_n(&tsheap__world_pending, 1, __ATOMIC_SEQ_CST);
  /* A thread at a safepoint parks within a few hundred nanoseconds: look
   * again a little, the lock let go so that it can, before sleeping: long
   * spins would keep the core from a thread still on its way there. */
  for (int spins = 0; still_running() > 0;) {
    if (spins++ < STOP_SPINS) {
      pthread_mutex_unlock(&lock);
      for (int i = 0; i < 16; i++) cpu_relax();
      pthread_mutex_lock(&lock);
    } else {
      pthread_cond_wait(&changed, &lock);
    }
  }
  pthread_mutex_unlock(&lock);
  return TSHEAP_OK;
}

tsheap_status tsheap__world_start(void)
{
  if (!stopped_by_me())
    return TSHEAP_E_WORLD;
  pthread_mutex_lock(&lock);
  __atomic_store_n(&tsheap__world_pending, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&stopper, 0, __ATOMIC_RELAXED);
  for (member *m = members; m != NULL; m = m->next) {
    int expect = SUSPENDED;
    atomic_compare_exchange_strong(&m->status, &expect, DETACHED);
  }
  announce();
  pthread_mutex_unlock(&lock);
  pthread_mutex_unlock(&one_stop);
  return TSHEAP_OK;
}

int tsheap__world_stopped(void) { return stopped_by_me(); }

/* ---- fork ---- */

void world_fork_prepare(void) { pthread_mutex_lock(&lock); }
void world_fork_parent(void) { pthread_mutex_unlock(&lock); }

void world_fork_child(void)
{
  pthread_mutex_t fresh_lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t fresh_cond = PTHREAD_COND_INITIALIZER;
  int mine = stopped_by_me();
  lock = fresh_lock;
  one_stop = fresh;
  changed = fresh_cond;
  members = NULL;
  if (me.joined) {
    me.next = NULL;
    me.prev = &members;
    members = &me;
  }
  if (mine)
    pthread_mutex_lock(&one_stop);
  else
    __atomic_store_n(&stopper, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&tsheap__world_pending, mine, __ATOMIC_SEQ_CST);
}
