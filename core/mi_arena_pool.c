/* mi_arena_pool.c - the pool of exclusive arenas (contract in mi_arena_pool.h).
 *
 * mimalloc allows 64 arenas and never unmaps one, so arenas are reused.
 * They are reserved committed, which mimalloc 2.0.9 treats as pinned: it
 * keeps no decommit bookkeeping for their pages, and that bookkeeping (a
 * commit mask, an option read and a clock read for every page freed) was
 * two thirds of a discard.  The price is that mimalloc never gives such
 * pages back to the OS, so the pool does.  An arena keeps its pages when it
 * comes back, and the next domain, which gets the arena returned last,
 * starts on them warm; an arena left idle IDLE_DROP_MS has them dropped
 * (MADV_DONTNEED) by the next borrow, return or tidy (any domain that
 * ends), one arena a call.  Only a free arena is dropped: nothing in it is
 * live, and what mimalloc still keeps there (segments in its cache) it
 * takes back as not zeroed.
 */
#include <sys/mman.h>

#include "internal.h"
#include "mi_arena_pool.h"

/* The most a discardable domain holds.  Four 32 MiB segments: a segment freed
 * by a discard can stay out of reach for a moment (mimalloc's segment cache
 * holds it), and the next heap in the arena must still find room; with two,
 * loaded threads ran out (seen under valgrind). */
#define ARENA_SIZE ((size_t)128 << 20)
#define ARENA_MAX 48                /* of mimalloc's 64; the rest stay for others */

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
      (void)madvise(pool[i].start, pool[i].size, MADV_DONTNEED);   /* cannot fail on our mapping */
      pool[i].dirty = 0;
      atomic_fetch_sub_explicit(&pool_waiting, 1, memory_order_relaxed);
      return;
    }
}

static int reserve(void)
{
  /* mimalloc 2.0.9 publishes the arena before setting its id, a window in
   * which another thread's new segment can land in it under no id (README,
   * fact 3): one more reason to reuse arenas rather than make new ones */
  mi_arena_id_t id;
  if (mi_reserve_os_memory_ex(ARENA_SIZE, true, false, true, &id) != 0)
    return -1;
  pool[pool_len].id = id;
  pool[pool_len].start = mi_arena_area(id, &pool[pool_len].size);
  return pool_len++;
}

int arena_pool_borrow(mi_arena_id_t *id, tsheap_status *why)
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

void arena_pool_return(int slot, int clean)
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

void arena_pool_tidy(void)
{
  if (atomic_load_explicit(&pool_waiting, memory_order_relaxed) == 0)
    return;     /* a count of one moment: a tidy that misses one, the next catches */
  uint64_t now = monotonic_ms();
  pthread_mutex_lock(&pool_lock);
  purge_one_idle(now);
  pthread_mutex_unlock(&pool_lock);
}

void arena_pool_lock(void) { pthread_mutex_lock(&pool_lock); }
void arena_pool_unlock(void) { pthread_mutex_unlock(&pool_lock); }
