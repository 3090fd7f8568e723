/* state.c - thread states: create, current, switch, end, and the thread-exit hook.
 *
 * Why the exit hook uses __cxa_thread_atexit_impl: mimalloc deletes a thread's
 * heaps from a pthread key destructor, and POSIX leaves the order of key
 * destructors open.  glibc runs thread_local destructors before any key
 * destructor, so a state still open when its thread exits is released while
 * its heaps are alive, and nothing keeps a pointer to them afterwards.
 */
#include <stdlib.h>

#include "internal.h"

extern int __cxa_thread_atexit_impl(void (*dtor)(void *), void *obj, void *dso);
extern void *__dso_handle;

static atomic_uint_fast64_t next_thread_id = 1;
__thread uint64_t tsheap__my_thread_id TSHEAP__TLS_MODEL;
static __thread tsheap_state *my_states;   /* states owned by this thread */
static __thread int exit_hook_set;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

uint64_t thread_id_first(void)
{
  return tsheap__my_thread_id = atomic_fetch_add(&next_thread_id, 1);
}

/* The stubs' owner check, and tsheap_state_owned. */
int tsheap__owns(const tsheap_state *st) { return owned_here(st); }

tsheap_state *tsheap__state_current(void) { return backend_current(); }

static void end_domains(tsheap_state *st)
{
  for (int d = 0; d < TSHEAP_DOMAIN_COUNT; d++)
    if (DOMAIN_OPEN(st, d))
      backend_end(st, (tsheap_domain)d, TSHEAP_END_MODE_RELEASE);
  st->open = 0;
}

static void unlink_state(tsheap_state *st)
{
  for (tsheap_state **p = &my_states; *p != NULL; p = &(*p)->next) {
    if (*p == st) {
      *p = st->next;
      return;
    }
  }
}

/* The owner thread is exiting: release what is still open, then orphan. */
static void thread_exit(void *unused)
{
  (void)unused;
  (void)tsheap__world_start();   /* a stopper that exits lets the world go */
  int locked = backend_lock();
  if (my_states != NULL)
    world_attach();       /* no stopper may be looking at the heaps */
  backend_attach(NULL);
  while (my_states != NULL) {
    tsheap_state *st = my_states;
    my_states = st->next;
    end_domains(st);
    atomic_store_explicit(&st->orphaned, 1, memory_order_release);
  }
  world_quit();
  backend_thread_exit();
  backend_unlock(locked);
}

static void register_fork_handlers(void)
{
  pthread_atfork(backend_fork_prepare, backend_fork_parent, backend_fork_child);
  pthread_atfork(world_fork_prepare, world_fork_parent, world_fork_child);
}

tsheap_status tsheap__state_create(unsigned discardable, tsheap_state **out)
{
  if (discardable & ~TSHEAP_DOMAIN_ALL)
    return TSHEAP_E_DOMAIN;
  pthread_once(&fork_once, register_fork_handlers);
  if (!exit_hook_set) {
    if (__cxa_thread_atexit_impl(thread_exit, NULL, &__dso_handle) != 0)
      return TSHEAP_E_NOMEM;
    exit_hook_set = 1;
  }
  if (!world_attached())
    return TSHEAP_E_DETACHED;
  int first = my_states == NULL;
  if (first)
    world_join();
  tsheap_state *st = calloc(1, sizeof *st);
  if (st == NULL) {
    if (first)
      world_quit();
    return TSHEAP_E_NOMEM;
  }
  st->owner = thread_id();
  st->discardable = discardable;
  for (int d = 0; d < TSHEAP_DOMAIN_COUNT; d++) {
    tsheap_status s = backend_open(st, (tsheap_domain)d, (discardable >> d) & 1u);
    if (s != TSHEAP_OK) {
      end_domains(st);
      free(st);
      if (first)
        world_quit();
      return s;
    }
    st->open |= 1u << d;
  }
  st->next = my_states;
  my_states = st;
  backend_attach(st);
  *out = st;
  return TSHEAP_OK;
}

/* A thread is in the world while it has states. */
tsheap_status tsheap__detach(void)
{
  if (my_states == NULL)
    return TSHEAP_E_NOSTATE;
  world_detach();
  backend_attach(backend_current());   /* a detached thread's view has no heaps */
  return TSHEAP_OK;
}

tsheap_status tsheap__attach(void)
{
  if (my_states == NULL)
    return TSHEAP_E_NOSTATE;
  world_attach();
  backend_attach(backend_current());
  return TSHEAP_OK;
}

tsheap_status tsheap__state_switch(tsheap_state *st)
{
  backend_attach(st);
  return TSHEAP_OK;
}

tsheap_status tsheap__state_end_domain(tsheap_state *st, tsheap_domain d, tsheap_end_mode mode)
{
  if (!DOMAIN_OPEN(st, d))
    return TSHEAP_E_ENDED;
  if (!world_attached())
    return TSHEAP_E_DETACHED;
  if (mode == TSHEAP_END_MODE_DISCARD && !((st->discardable >> d) & 1u))
    return TSHEAP_E_NOT_DISCARDABLE;
  backend_end(st, d, mode);
  st->open &= ~(1u << d);
  if (backend_current() == st)
    backend_attach(st);       /* refresh the fast path's view of the heaps */
  return TSHEAP_OK;
}

tsheap_status tsheap__state_end(tsheap_state *st)
{
  if (atomic_load_explicit(&st->orphaned, memory_order_acquire)) {
    free(st);                 /* its thread is gone and released everything */
    return TSHEAP_OK;
  }
  if (st->owner != thread_id())
    return TSHEAP_E_NOT_OWNER;
  if (!world_attached())
    return TSHEAP_E_DETACHED;
  if (backend_current() == st)
    backend_attach(NULL);
  end_domains(st);
  unlink_state(st);
  free(st);
  if (my_states == NULL)
    world_quit();
  return TSHEAP_OK;
}
