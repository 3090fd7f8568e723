/* arenas.c - the pool of exclusive arenas (contract in arenas.h).
 *
 * mimalloc has a fixed table of arenas (64 in 2.0.9, 160 in 3.0) and never
 * unmaps one, so arenas are reused.  An arena keeps its pages when it comes
 * back, and the next domain, which gets the arena returned last, starts on
 * them warm.  Where the series leaves the pages of a free arena resident
 * for good (2.0.9: series_arena_drop), an arena left idle IDLE_DROP_MS has
 * them dropped by the next borrow, return or tidy (any domain that ends),
 * one arena a call.  Only a free arena is dropped: nothing in it is live.
 */
#include "internal.h"
#include "arenas.h"
#include "arenas_size.h"
#include "series.h"

enum { SLOT_FREE, SLOT_LENT, SLOT_RETIRED };

static struct {
  mi_arena_id_t id;
  void *start;
  size_t size;
  int use;
  int dirty;             /* lent since its pages were last dropped */
  uint64_t returned_ms;  /* when it last came back */
} pool[ARENA_MAX];
static int pool_len;
static atomic_int pool_waiting;  /* free and dirty: what a tidy may drop */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* Drops the pages of one free arena idle for the delay.  Under the lock, so
 * that no borrow finds the pool empty while a purge is under way; it takes
 * a few milliseconds for a well-used arena and happens once per idle spell. */
static void purge_one_idle(uint64_t now)
{
  for (int i = 0; i < pool_len; i++)
    if (pool[i].use == SLOT_FREE && pool[i].dirty && now - pool[i].returned_ms >= IDLE_DROP_MS) {
      (void)series_arena_drop(pool[i].start, pool[i].size);
      pool[i].dirty = 0;
      atomic_fetch_sub_explicit(&pool_waiting, 1, memory_order_relaxed);
      return;
    }
}

static int reserve(void)
{
  if (series_arena_reserve(ARENA_SIZE, &pool[pool_len].id, &pool[pool_len].start, &pool[pool_len].size) != 0)
    return -1;
  return pool_len++;
}

int arenas_borrow(mi_arena_id_t *id, tsheap_status *why)
{
  int slot = -1;
  pthread_mutex_lock(&pool_lock);
  for (int i = 0; i < pool_len; i++)
    if (pool[i].use == SLOT_FREE && (slot < 0 || pool[i].returned_ms > pool[slot].returned_ms))
      slot = i;
  if (slot < 0 && pool_len < ARENA_MAX && (slot = reserve()) < 0)
    *why = TSHEAP_E_NOMEM;
  else if (slot < 0)
    *why = TSHEAP_E_LIMIT;
  if (slot >= 0) {
    if (pool[slot].use == SLOT_FREE && pool[slot].dirty)
      atomic_fetch_sub_explicit(&pool_waiting, 1, memory_order_relaxed);
    pool[slot].use = SLOT_LENT;
    pool[slot].dirty = 1;
    *id = pool[slot].id;
    purge_one_idle(monotonic_ms());
  }
  pthread_mutex_unlock(&pool_lock);
  return slot;
}

void arenas_return(int slot, int clean)
{
  uint64_t now = monotonic_ms();
  pthread_mutex_lock(&pool_lock);
  pool[slot].use = clean ? SLOT_FREE : SLOT_RETIRED;
  pool[slot].returned_ms = now;
  if (clean)
    atomic_fetch_add_explicit(&pool_waiting, 1, memory_order_relaxed);
  purge_one_idle(now);
  pthread_mutex_unlock(&pool_lock);
}

void arenas_tidy(void)
{
  if (atomic_load_explicit(&pool_waiting, memory_order_relaxed) == 0)
    return;     /* a count of one moment: a tidy that misses one, the next catches */
  uint64_t now = monotonic_ms();
  pthread_mutex_lock(&pool_lock);
  purge_one_idle(now);
  pthread_mutex_unlock(&pool_lock);
}

void arenas_lock(void) { pthread_mutex_lock(&pool_lock); }
void arenas_unlock(void) { pthread_mutex_unlock(&pool_lock); }
