/* backend_ft.c - free-threaded build: one mimalloc heap per domain.
 *
 * Discard is mi_heap_destroy, and in both mimalloc series a heap may take
 * in memory that a dead thread left with live blocks in it (series.h's
 * files say how), after which destroying it would free those blocks.  A
 * discardable domain therefore gets a heap in an exclusive arena of its
 * own: such a heap takes in only its arena's memory, and no other heap uses
 * the arena while it is lent.  The arenas form a pool (arenas.c): a
 * discard gives the arena back clean, and so does a release that finds
 * nothing live; a release that leaves live blocks (or an exiting thread
 * that does) retires the arena for good.  Domains that are not discardable
 * use plain heaps.  What differs between the series is behind series.h.
 */
#include <errno.h>
#include <mimalloc.h>
#include <string.h>

#include "internal.h"
#include "arenas.h"
#include "heap_live.h"
#include "series.h"

tsheap__ft_fast backend_ft_no_state;   /* zero: every heap NULL, threshold 0 */
__thread tsheap__ft_view tsheap__ft_current TSHEAP__TLS_MODEL = { .fast = &backend_ft_no_state };

/* ---- failures ---- */

/* mimalloc tells its error handler when memory runs out, on the thread that
 * asked: that is how the inline fast paths report it without testing every
 * result.  The handler is mimalloc's only one; a program that registers its
 * own loses this report (the NULL remains). */
static void on_mimalloc_error(int err, void *arg)
{
  (void)arg;
  if (err == ENOMEM)
    tsheap__fail_ptr(TSHEAP_E_NOMEM);
}

static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static void register_handler(void) { mi_register_error(on_mimalloc_error, NULL); }

/* ---- the backend contract ---- */

/* A thread whose mimalloc could not set itself up (no memory for its thread
 * data) keeps mimalloc's empty heap, and mi_heap_new crashes there in 2.0.9;
 * mi_malloc retries the setup and fails cleanly, in either series.  A block
 * mimalloc could not take back (3.0.1 without its page map) is left where
 * it is: freeing it would crash, and such a mimalloc gets no state. */
static int thread_ready(void)
{
  static __thread int ready;
  if (!ready) {
    void *probe = mi_malloc(1);
    ready = probe != NULL && series_can_free(probe);
    if (ready)
      mi_free(probe);
  }
  return ready;
}

tsheap_status backend_open(tsheap_state *st, tsheap_domain d, int discardable)
{
  pthread_once(&handler_once, register_handler);
  if (!thread_ready())
    return TSHEAP_E_NOMEM;
  mi_heap_t *heap;
  int slot = -1;
  if (discardable) {
    tsheap_status why;
    mi_arena_id_t arena;
    slot = arenas_borrow(&arena, &why);
    if (slot < 0)
      return why;
    heap = series_heap_in_arena(arena);
  } else {
    heap = mi_heap_new();
  }
  if (heap == NULL) {
    if (slot >= 0)
      arenas_return(slot, 1);
    return TSHEAP_E_NOMEM;
  }
  st->fast.heap[d] = heap;
  st->domain[d].arena = slot;
  return TSHEAP_OK;
}

void backend_end(tsheap_state *st, tsheap_domain d, tsheap_end_mode mode)
{
  mi_heap_t *heap = st->fast.heap[d];
  int slot = st->domain[d].arena;
  st->fast.heap[d] = NULL;
  /* A release that finds nothing live is a discard: destroying frees no live
   * block (a page reclaimed from a dead thread would show its blocks), gives
   * the pages back at once, and keeps an arena clean for reuse. */
  if (mode == TSHEAP_END_MODE_DISCARD || !heap_has_live_blocks(heap)) {
    mi_heap_destroy(heap);     /* state.c allows discard only with an arena */
    if (slot >= 0)
      arenas_return(slot, 1);
  } else {
    series_heap_release(heap);
    if (slot >= 0)
      arenas_return(slot, 0);
  }
  if (slot < 0)
    arenas_tidy();    /* the pool has no timer: domains that end drop idle pages */
}

void *backend_alloc(tsheap_state *st, tsheap_domain d, size_t size, int zero)
{
  mi_heap_t *heap = st->fast.heap[d];
  return zero ? mi_heap_zalloc(heap, size) : tsheap__mi_malloc_inline(heap, size, tsheap__ft_current.mi_thread);
}

void *backend_realloc(tsheap_state *st, tsheap_domain d, void *p, size_t size)
{
  return mi_heap_realloc(st->fast.heap[d], p, size);
}

void backend_free(void *p) { tsheap__mi_free_inline(p, tsheap__ft_current.mi_thread); }

struct visit {
  tsheap_visit_fn fn;
  void *arg;
};

static bool visit_block(const mi_heap_t *heap, const mi_heap_area_t *area, void *block,
                        size_t size, void *arg)
{
  struct visit *v = arg;
  (void)heap;
  (void)area;
  return block == NULL || v->fn(block, size, v->arg) == 0;
}

tsheap_status backend_visit(tsheap_state *st, tsheap_domain d, tsheap_visit_fn fn, void *arg)
{
  struct visit v = { fn, arg };
  mi_heap_t *heap = st->fast.heap[d];
  mi_heap_collect(heap, false);   /* take in frees other threads left pending */
  mi_heap_visit_blocks(heap, true, visit_block, &v);
  return TSHEAP_OK;
}

void backend_attach(tsheap_state *st)
{
  tsheap__ft_fast *fast = st != NULL ? &st->fast : &backend_ft_no_state;
  /* a detached thread keeps its counters in view but no heap: the inline
   * paths' one test refuses its allocations */
  if (st != NULL && !world_attached())
    memset(tsheap__ft_current.heap, 0, sizeof tsheap__ft_current.heap);
  else
    memcpy(tsheap__ft_current.heap, fast->heap, sizeof fast->heap);
  tsheap__ft_current.fast = fast;
  /* a thread keeps its value once it has one (frees need no state), so the
   * probe's verdict is asked only until then */
  if (st != NULL && tsheap__ft_current.mi_thread == 0)
    tsheap__ft_current.mi_thread = series_fast_thread();
}

void backend_thread_exit(void) { series_thread_exit(); }

int backend_lock(void) { return 0; }
void backend_unlock(int locked) { (void)locked; }
void backend_fork_prepare(void) { arenas_lock(); }
void backend_fork_parent(void) { arenas_unlock(); }
void backend_fork_child(void) { arenas_unlock(); }

/* ---- realloc: into the named domain, wherever the block lives ---- */

/* mi_heap_realloc keeps a block in place when it fits, even in another heap;
 * a block that moves to another domain must leave its old heap, or a
 * discard of that heap would free it under its holder. */
void *tsheap__ft_realloc(tsheap_domain d, void *block, size_t size)
{
  tsheap_state *st = backend_current();
  if (st == NULL || tsheap__ft_current.heap[d] == NULL)
    return tsheap__ft_refused(d);
  mi_heap_t *heap = st->fast.heap[d];
  void *p;
  if (block == NULL || mi_heap_contains_block(heap, block)) {
    p = mi_heap_realloc(heap, block, size);
  } else {
    p = mi_heap_malloc(heap, size);
    if (p != NULL) {
      size_t old = mi_usable_size(block);
      memcpy(p, block, old < size ? old : size);
      mi_free(block);
    }
  }
  if (p == NULL)
    return tsheap__fail_ptr(TSHEAP_E_NOMEM);
  if (TSHEAP_DOMAIN_COUNTED(d))
    st->fast.count[d]++;
  return p;
}

/* ---- the inline fast paths' slow ends ---- */

void *tsheap__ft_refused(tsheap_domain d)
{
  tsheap_state *st = backend_current();
  if (st == NULL)
    return tsheap__fail_ptr(TSHEAP_E_NOSTATE);
  if ((unsigned)d >= TSHEAP_DOMAIN_COUNT)
    return tsheap__fail_ptr(TSHEAP_E_DOMAIN);
  if (!world_attached())
    return tsheap__fail_ptr(TSHEAP_E_DETACHED);
  return tsheap__fail_ptr(TSHEAP_E_ENDED);
}

void *tsheap__ft_failed(size_t count, size_t size, size_t alignment)
{
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    return tsheap__fail_ptr(TSHEAP_E_INVAL);
  if (size != 0 && count > SIZE_MAX / size)
    return tsheap__fail_ptr(TSHEAP_E_OVERFLOW);
  return tsheap__fail_ptr(TSHEAP_E_NOMEM);
}
