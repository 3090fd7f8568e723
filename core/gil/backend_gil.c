/* backend_gil.c - GIL build: small blocks from the regions (small.c), larger
 * or over-aligned ones from mimalloc with a header that links them to their
 * domain, so that visit, release and discard work per state and domain.
 * Every function here runs with the GIL held.
 */
#include <mimalloc.h>
#include <string.h>

#include "internal.h"

__thread tsheap_state *backend_gil_current TSHEAP__TLS_MODEL;

/* 32 bytes before every large block keep the payload 16-byte aligned. */
typedef struct large_block {
  struct large_block *next;
  struct large_block **prev;    /* the pointer that points at this block */
  size_t size;                  /* what was asked for */
  size_t pad;
} large_block;

static large_block *orphans;     /* large blocks of released domains */

static void large_link(large_block **head, large_block *b)
{
  b->next = *head;
  b->prev = head;
  if (*head != NULL)
    (*head)->prev = &b->next;
  *head = b;
}

static void large_unlink(large_block *b)
{
  *b->prev = b->next;
  if (b->next != NULL)
    b->next->prev = b->prev;
}

/* Out of line, so that the small-block paths that inline alloc() save no registers. */
static __attribute__((noinline)) void *large_alloc(backend_domain *bd, size_t size, size_t alignment, int zero)
{
  large_block *b;
  if (size > SIZE_MAX - sizeof *b)
    return NULL;
  if (alignment <= TSHEAP_SMALL_ALIGN)
    b = zero ? mi_zalloc(sizeof *b + size) : mi_malloc(sizeof *b + size);
  else
    b = zero ? mi_zalloc_aligned_at(sizeof *b + size, alignment, sizeof *b)
             : mi_malloc_aligned_at(sizeof *b + size, alignment, sizeof *b);
  if (b == NULL)
    return NULL;
  b->size = size;
  large_link(&bd->large, b);
  return b + 1;
}

static inline void *alloc(tsheap_state *st, tsheap_domain d, size_t size, size_t alignment, int zero)
{
  backend_domain *bd = &st->domain[d];
  void *p;
  if (size <= TSHEAP_SMALL_MAX && alignment <= TSHEAP_SMALL_ALIGN) {
    p = small_malloc(&bd->small, size != 0 ? size : 1);
    if (zero && p != NULL)
      memset(p, 0, size);
  } else {
    p = large_alloc(bd, size, alignment, zero);
  }
  return p;
}

/* The allocation entry points act on the current state.  The fast path is a
 * small block from a warm pool; everything else, refusals included, goes
 * through alloc_slow. */
static inline tsheap_state *current_open(tsheap_domain d)
{
  tsheap_state *st = backend_gil_current;
  if (TSHEAP__UNLIKELY(st == NULL)) {
    tsheap__fail_ptr(TSHEAP_E_NOSTATE);
    return NULL;
  }
  if (TSHEAP__UNLIKELY(!DOMAIN_OPEN(st, d))) {
    tsheap__fail_ptr(TSHEAP_E_ENDED);
    return NULL;
  }
  return st;
}

static inline void *counted(tsheap_state *st, tsheap_domain d, void *p)
{
  if (TSHEAP__UNLIKELY(p == NULL))
    return tsheap__fail_ptr(TSHEAP_E_NOMEM);
  if (TSHEAP_DOMAIN_COUNTED(d))
    st->fast.count[d]++;
  return p;
}

static __attribute__((noinline)) void *alloc_slow(tsheap_domain d, size_t size, size_t alignment, int zero)
{
  tsheap_state *st = current_open(d);
  return st == NULL ? NULL : counted(st, d, alloc(st, d, size, alignment, zero));
}

void small_out_of_memory(void) { tsheap__fail_ptr(TSHEAP_E_NOMEM); }

/* Counted before the tail call, so an allocation the OS refuses is counted
 * too: the price of keeping this path free of saved registers. */
void *tsheap__gil_malloc(tsheap_domain d, size_t size)
{
  tsheap_state *st = backend_gil_current;
  if (TSHEAP__LIKELY(st != NULL && DOMAIN_OPEN(st, d) && size - 1 < TSHEAP_SMALL_MAX)) {
    if (TSHEAP_DOMAIN_COUNTED(d))
      st->fast.count[d]++;
    return small_malloc(&st->domain[d].small, size);
  }
  return alloc_slow(d, size, 1, 0);
}

void *tsheap__gil_zalloc(tsheap_domain d, size_t size) { return alloc_slow(d, size, 1, 1); }

static void *array(tsheap_domain d, size_t count, size_t size, int zero)
{
  if (size != 0 && count > SIZE_MAX / size)
    return current_open(d) == NULL ? NULL : tsheap__fail_ptr(TSHEAP_E_OVERFLOW);
  return alloc_slow(d, count * size, 1, zero);
}

void *tsheap__gil_mallocn(tsheap_domain d, size_t count, size_t size) { return array(d, count, size, 0); }
void *tsheap__gil_calloc(tsheap_domain d, size_t count, size_t size) { return array(d, count, size, 1); }

void *tsheap__gil_malloc_aligned(tsheap_domain d, size_t size, size_t alignment)
{
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    return current_open(d) == NULL ? NULL : tsheap__fail_ptr(TSHEAP_E_INVAL);
  return alloc_slow(d, size, alignment, 0);
}

static __attribute__((noinline)) void large_free(void *p)
{
  large_block *b = (large_block *)p - 1;
  large_unlink(b);
  mi_free(b);
}

void tsheap__gil_free(void *p)
{
  if (small_owns(p))
    small_free(p);
  else if (p != NULL)
    large_free(p);
}

size_t tsheap__gil_block_size(const void *p)
{
  if (p == NULL)
    return 0;
  if (small_owns(p))
    return small_block_size(p);
  return ((const large_block *)p - 1)->size;
}

static __attribute__((noinline)) void *move(tsheap_state *st, tsheap_domain d, void *p, size_t size)
{
  void *q = alloc(st, d, size, 1, 0);
  if (q != NULL) {
    size_t old = tsheap__gil_block_size(p);
    memcpy(q, p, old < size ? old : size);
    tsheap__gil_free(p);
  }
  return q;
}

/* No block yet is most of what a lua_Alloc sees: a tail call, no saved registers. */
void *backend_realloc(tsheap_state *st, tsheap_domain d, void *p, size_t size)
{
  if (p == NULL)
    return alloc(st, d, size, 1, 0);
  return move(st, d, p, size);
}

void backend_free(void *p) { tsheap__gil_free(p); }

void *tsheap__gil_realloc(tsheap_domain d, void *p, size_t size)
{
  tsheap_state *st = current_open(d);
  return st == NULL ? NULL : counted(st, d, backend_realloc(st, d, p, size));
}

int tsheap__gil_gc_due(tsheap_domain d)
{
  tsheap_state *st = backend_gil_current;
  return st != NULL && st->fast.threshold[d] != 0 && st->fast.count[d] >= st->fast.threshold[d];
}

/* ---- the backend contract ---- */

/* Domains open in every state: when the last one ends, the free regions kept
 * for reuse go back to the OS (a program between bursts of work holds none). */
static unsigned long open_domains;
/* When the pools that wait since the last discard came (small.c, waiting);
 * 0 while none wait.  Left idle IDLE_DROP_MS, they go back to their regions
 * when a domain ends, so that a last discard does not hold its memory for
 * good. */
static uint64_t waiting_since_ms;

tsheap_status backend_open(tsheap_state *st, tsheap_domain d, int discardable)
{
  (void)discardable;   /* every domain of this build can be discarded */
  open_domains++;
  small_owner_init(&st->domain[d].small);
  st->domain[d].large = NULL;
  return TSHEAP_OK;
}

void backend_end(tsheap_state *st, tsheap_domain d, tsheap_end_mode mode)
{
  backend_domain *bd = &st->domain[d];
  if (mode == TSHEAP_END_MODE_DISCARD) {
    small_owner_discard(&bd->small);
    waiting_since_ms = monotonic_ms();
    while (bd->large != NULL) {
      large_block *b = bd->large;
      bd->large = b->next;
      mi_free(b);
    }
  } else {
    small_owner_release(&bd->small);
    while (bd->large != NULL) {
      large_block *b = bd->large;
      large_unlink(b);
      large_link(&orphans, b);
    }
  }
  if (mode != TSHEAP_END_MODE_DISCARD && waiting_since_ms != 0 &&
      monotonic_ms() - waiting_since_ms >= IDLE_DROP_MS) {
    small_return_waiting();
    waiting_since_ms = 0;
  }
  if (--open_domains == 0)
    small_trim();
}

void *backend_alloc(tsheap_state *st, tsheap_domain d, size_t size, int zero)
{
  return alloc(st, d, size, 1, zero);
}

tsheap_status backend_visit(tsheap_state *st, tsheap_domain d, tsheap_visit_fn fn, void *arg)
{
  backend_domain *bd = &st->domain[d];
  if (small_owner_visit(&bd->small, fn, arg) != 0)
    return TSHEAP_OK;
  for (large_block *b = bd->large, *next; b != NULL; b = next) {
    next = b->next;
    if (fn(b + 1, b->size, arg) != 0)
      break;
  }
  return TSHEAP_OK;
}

void backend_attach(tsheap_state *st) { backend_gil_current = st; }
