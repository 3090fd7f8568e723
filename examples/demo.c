/* demo.c - a tour of tsheap: threads with their own states, allocation in
 * every domain, frees across threads, a walk over live blocks, per-domain
 * statistics, and both ways to end a domain.  Built once per build. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <tsheap/tsheap.h>

#define THREADS 4
#define BLOCKS 1000

static const char *const domain_name[] = TSHEAP_DOMAIN_NAMES;

#ifdef TSHEAP_FREE_THREADED
#define HOLD_GIL() ((void)0)
#define DROP_GIL() ((void)0)
#else
#define HOLD_GIL() tsheap_gil_acquire()
#define DROP_GIL() tsheap_gil_release()
#endif

static void *handoff[THREADS][BLOCKS];   /* thread i frees what thread i-1 left here */
static pthread_barrier_t allocated;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static int die(const char *what, tsheap_status s)
{
  fprintf(stderr, "demo: %s: %s\n", what, tsheap_strerror(s));
  return 1;
}

struct walk {
  size_t blocks, bytes, largest;
};

static int walk_block(void *block, size_t size, void *arg)
{
  struct walk *w = arg;
  (void)block;
  w->blocks++;
  w->bytes += size;
  if (size > w->largest) w->largest = size;
  return 0;
}

static void *worker(void *arg)
{
  int id = (int)(size_t)arg;
  tsheap_state *st;
  tsheap_status s;
  /* the object domain may be discarded at the end; the others are released */
  if ((s = tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_OBJECT), &st)) != TSHEAP_OK) {
    die("state_create", s);
    return NULL;
  }
  tsheap_state_set_threshold(st, TSHEAP_DOMAIN_GC, 300);

  HOLD_GIL();
  for (int i = 0; i < BLOCKS; i++) {
    tsheap_domain d = (tsheap_domain)(i % TSHEAP_DOMAIN_COUNT);
    size_t size = 16 + (size_t)(i * 37 % 2000);
    char *p = tsheap_malloc(d, size);
    if (p == NULL) {
      DROP_GIL();
      die("malloc", tsheap_last_error());
      return NULL;
    }
    memset(p, id, size);
    if (i % 4 == 0)
      handoff[id][i] = p;          /* a neighbour frees this one */
    else if (i % 4 == 1)
      tsheap_free(p);              /* freed at once */
  }
  int due = tsheap_gc_due(TSHEAP_DOMAIN_GC);
  DROP_GIL();

  pthread_barrier_wait(&allocated);
  int from = (id + THREADS - 1) % THREADS;
  HOLD_GIL();
  for (int i = 0; i < BLOCKS; i++)
    if (handoff[from][i] != NULL) tsheap_free(handoff[from][i]);
  DROP_GIL();
  pthread_barrier_wait(&allocated);

  pthread_mutex_lock(&print_lock);
  printf("thread %d (gc collection due: %s)\n", id, due ? "yes" : "no");
  for (int d = 0; d < TSHEAP_DOMAIN_COUNT; d++) {
    tsheap_domain_stats stats;
    struct walk w = { 0, 0, 0 };
    tsheap_state_stats(st, (tsheap_domain)d, &stats);
    tsheap_state_visit(st, (tsheap_domain)d, walk_block, &w);
    printf("  %-6s live %4zu blocks %8zu bytes, walk saw %4zu blocks (largest %4zu B), allocations %llu\n",
           domain_name[d], stats.live_blocks, stats.live_bytes, w.blocks, w.largest,
           (unsigned long long)stats.allocations);
  }
  pthread_mutex_unlock(&print_lock);

  s = tsheap_state_end_domain(st, TSHEAP_DOMAIN_OBJECT, TSHEAP_END_MODE_DISCARD);
  if (s != TSHEAP_OK) die("discard", s);
  s = tsheap_state_end(st);   /* releases raw and gc: their blocks stay valid */
  if (s != TSHEAP_OK) die("state_end", s);
  return NULL;
}

int main(void)
{
  pthread_t t[THREADS];
  int ft = tsheap_loaded_build() == TSHEAP_BUILD_FREE_THREADED;
  printf("tsheap %s, %s build (%s), %d domains\n", tsheap_version(), ft ? "free-threaded" : "GIL",
         ft ? "libtsheapt" : "libtsheap", TSHEAP_DOMAIN_COUNT);
  pthread_barrier_init(&allocated, NULL, THREADS);
  for (int i = 0; i < THREADS; i++)
    if (pthread_create(&t[i], NULL, worker, (void *)(size_t)i) != 0) return 1;
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  printf("every state ended: object domains discarded, raw and gc released\n\n");
  return 0;
}
