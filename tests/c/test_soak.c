/* test_soak.c [SECONDS] - a bounded soak: threads create and end states,
 * allocate in every domain, free across threads through a shared queue,
 * visit, discard and release, and short-lived threads exit with their
 * states still open.  At the end every block is freed and every state ended;
 * resident memory must not have grown past a stated bound since half time.
 * SECONDS defaults to 10 (TSHEAP_SOAK_SECONDS overrides; CI runs minutes). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define WORKERS 4
#define QUEUE 8192
#define GROWTH_BOUND_MIB 64   /* resident growth allowed after warm-up */

static struct {
  pthread_mutex_t lock;
  void *block[QUEUE];
  size_t size[QUEUE];
  int len;
} q = { PTHREAD_MUTEX_INITIALIZER, { 0 }, { 0 }, 0 };

static atomic_int running = 1;
static atomic_long ops, cross_frees, states_made, orphans_made;
static pthread_mutex_t orphan_lock = PTHREAD_MUTEX_INITIALIZER;
static tsheap_state *orphan[4096];
static int n_orphans;

static unsigned rnd(unsigned *s)
{
  *s = *s * 1103515245u + 12345u;
  return *s >> 8;
}

static long resident_kib(void)
{
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f != NULL) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* hand a block to whichever thread frees next; 0 if the queue is full */
static int give(void *p, size_t n)
{
  int ok = 0;
  pthread_mutex_lock(&q.lock);
  if (q.len < QUEUE) {
    q.block[q.len] = p;
    q.size[q.len++] = n;
    ok = 1;
  }
  pthread_mutex_unlock(&q.lock);
  return ok;
}

static void take_some(int max)
{
  for (int i = 0; i < max; i++) {
    void *p = NULL;
    size_t n = 0;
    pthread_mutex_lock(&q.lock);
    if (q.len > 0) {
      p = q.block[--q.len];
      n = q.size[q.len];
    }
    pthread_mutex_unlock(&q.lock);
    if (p == NULL) return;
    CHECK(filled(p, n, (unsigned char)n));
    tsheap_free_nogil(p);
    atomic_fetch_add(&cross_frees, 1);
  }
}

static int count_block(void *block, size_t size, void *arg)
{
  (void)block;
  (void)size;
  ++*(long *)arg;
  return 0;
}

/* One state's life: allocate, share, free, visit, end both ways. */
static void one_state(unsigned *seed, int leave_open, tsheap_state **left)
{
  enum { SLOTS = 200 };
  void *mine[SLOTS] = { 0 };
  size_t size[SLOTS] = { 0 };
  tsheap_state *st;
  /* a thread that exits with a discardable domain open retires its arena
   * (core/ft/mimalloc.md, fact 3): only states that end themselves use one */
  unsigned discard = !leave_open && rnd(seed) % 2 ? TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_OBJECT) : 0;
  tsheap_status made = tsheap_state_create(discard, &st);
  CHECK_STATUS(made, TSHEAP_OK);
  if (made != TSHEAP_OK) return;
  atomic_fetch_add(&states_made, 1);
  for (int i = 0; i < 2000; i++) {
    int k = (int)(rnd(seed) % SLOTS);
    if (mine[k] != NULL) {
      CHECK(filled(mine[k], size[k], (unsigned char)size[k]));
      tsheap_free_nogil(mine[k]);
      mine[k] = NULL;
      continue;
    }
    size_t n = rnd(seed) % 8 ? 1 + rnd(seed) % 300 : 1 + rnd(seed) % 20000;
    tsheap_domain d = (tsheap_domain)(rnd(seed) % TSHEAP_DOMAIN_COUNT);
    void *p = tsheap_malloc_nogil(d, n);
    CHECK(p != NULL);
    if (p == NULL) continue;
    fill(p, n, (unsigned char)n);
    /* blocks of a domain that may be discarded stay home */
    if (d != TSHEAP_DOMAIN_OBJECT && rnd(seed) % 4 == 0 && give(p, n)) continue;
    mine[k] = p;
    size[k] = n;
  }
  atomic_fetch_add(&ops, 2000);
  long seen = 0;
  CHECK_STATUS(tsheap_state_visit(st, TSHEAP_DOMAIN_RAW, count_block, &seen), TSHEAP_OK);
  take_some(64);
  if (leave_open) {
    /* the thread exits with its state open and these blocks live: the exit
     * releases the state, and other threads free the blocks later */
    for (int k = 0; k < SLOTS; k++)
      if (mine[k] != NULL && !give(mine[k], size[k])) tsheap_free_nogil(mine[k]);
    *left = st;
    return;
  }
  for (int k = 0; k < SLOTS; k++)
    if (mine[k] != NULL) tsheap_free_nogil(mine[k]);
  if (discard)
    CHECK_STATUS(tsheap_state_end_domain(st, TSHEAP_DOMAIN_OBJECT, TSHEAP_END_MODE_DISCARD), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
}

static void *worker(void *arg)
{
  unsigned seed = (unsigned)(uintptr_t)arg;
  while (atomic_load(&running)) one_state(&seed, 0, NULL);
  return NULL;
}

static void *short_lived(void *arg)
{
  unsigned seed = (unsigned)(uintptr_t)arg;
  tsheap_state *st = NULL;
  one_state(&seed, 1, &st);
  pthread_mutex_lock(&orphan_lock);
  if (n_orphans < 4096) orphan[n_orphans++] = st;
  pthread_mutex_unlock(&orphan_lock);
  atomic_fetch_add(&orphans_made, 1);
  return NULL;
}

int main(int argc, char **argv)
{
  const char *env = getenv("TSHEAP_SOAK_SECONDS");
  int seconds = argc > 1 ? atoi(argv[1]) : env != NULL ? atoi(env) : 10;
  pthread_t t[WORKERS];
  for (int i = 0; i < WORKERS; i++) CHECK(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1)) == 0);
  time_t start = time(NULL);
  long warm = 0;
  unsigned spawned = 0;
  while (time(NULL) - start < seconds) {
    pthread_t s;
    if (pthread_create(&s, NULL, short_lived, (void *)(uintptr_t)(1000 + spawned++)) == 0) pthread_join(s, NULL);
    /* warmed up by half time: the heaps, caches and arena pool have their size */
    if (warm == 0 && time(NULL) - start >= (seconds + 1) / 2) warm = resident_kib();
    usleep(20000);
  }
  atomic_store(&running, 0);
  for (int i = 0; i < WORKERS; i++) pthread_join(t[i], NULL);
  take_some(QUEUE);
  /* the states of exited threads are orphans: any thread ends them */
  for (int i = 0; i < n_orphans; i++) CHECK_STATUS(tsheap_state_end(orphan[i]), TSHEAP_OK);
  long end = resident_kib();
  if (warm == 0) warm = end;
  printf("soak: %d s, %ld allocations, %ld frees across threads, %ld states, %ld threads exited with open states\n",
         seconds, atomic_load(&ops), atomic_load(&cross_frees), atomic_load(&states_made), atomic_load(&orphans_made));
  printf("soak: resident %ld KiB after warm-up, %ld KiB at the end (bound +%d MiB)\n", warm, end, GROWTH_BOUND_MIB);
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  /* a sanitizer's shadow memory grows with every address touched */
  printf("soak: the resident bound is checked without sanitizers\n");
#else
  CHECK(end - warm <= GROWTH_BOUND_MIB * 1024);
#endif
  return check_done();
}
