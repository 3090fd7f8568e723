/* world.c - what stopping the world costs.
 *
 *   world stop THREADS ROUNDS      tsheap_world_stop + _start round trips
 *   world barrier THREADS ROUNDS   the same stop made of a flag and two
 *                                  pthread barriers, for comparison
 *   world safepoint CALLS [none]   CALLS safepoints in a loop (or the bare
 *                                  loop), for instruction counts
 *
 * THREADS workers run a loop of runtime work (a counter) with a safepoint
 * in it: tsheap_safepoint, or a load of the barrier's flag.  A round trip is
 * the time from asking for the stop until the stopper has let the world go
 * again, with every worker running when it asks; the median and the 90th
 * percentile are printed, in ns. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <tsheap/tsheap.h>

#include "clock.h"

#define MAX_THREADS 64

static atomic_int done;
static int use_barrier;
static atomic_int stop_flag;                  /* the barrier's safepoint reads it */
static pthread_barrier_t parked, resumed;
static atomic_ulong work_done[MAX_THREADS];

static void *worker(void *arg)
{
  atomic_ulong *counter = arg;
  tsheap_state *st;
  if (tsheap_state_create(0, &st) != TSHEAP_OK)
    abort();
#ifndef TSHEAP_FREE_THREADED
  if (!use_barrier)
    tsheap_gil_acquire();   /* a GIL runtime's thread runs holding it */
#endif
  while (!atomic_load_explicit(&done, memory_order_relaxed)) {
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
    if (use_barrier) {
      if (atomic_load_explicit(&stop_flag, memory_order_acquire)) {
        pthread_barrier_wait(&parked);
        pthread_barrier_wait(&resumed);
      }
    } else {
      tsheap_safepoint();
    }
  }
#ifndef TSHEAP_FREE_THREADED
  if (!use_barrier)
    tsheap_gil_release();
#endif
  tsheap_state_end(st);
  return NULL;
}

static int by_value(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void round_trips(int threads, long rounds)
{
  pthread_t t[MAX_THREADS];
  double *ns = malloc((size_t)rounds * sizeof *ns);
  if (ns == NULL)
    abort();
  pthread_barrier_init(&parked, NULL, (unsigned)threads + 1);
  pthread_barrier_init(&resumed, NULL, (unsigned)threads + 1);
  for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, &work_done[i]);
  for (int i = 0; i < threads; i++)
    while (atomic_load(&work_done[i]) == 0) {}
  unsigned long seen[MAX_THREADS];
  for (long r = 0; r < rounds; r++) {
    /* every worker runs again before the next stop, untimed: a worker still
     * parked from the last one would cost the next stop nothing */
    for (int i = 0; i < threads; i++) seen[i] = atomic_load(&work_done[i]);
    for (int i = 0; i < threads; i++)
      while (atomic_load(&work_done[i]) == seen[i]) {}
    double t0 = now_ns();
    if (use_barrier) {
      atomic_store_explicit(&stop_flag, 1, memory_order_release);
      pthread_barrier_wait(&parked);          /* every worker is at its safepoint */
      atomic_store_explicit(&stop_flag, 0, memory_order_relaxed);
      pthread_barrier_wait(&resumed);
    } else {
      if (tsheap_world_stop() != TSHEAP_OK || tsheap_world_start() != TSHEAP_OK)
        abort();
    }
    ns[r] = now_ns() - t0;
  }
  atomic_store(&done, 1);
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  qsort(ns, (size_t)rounds, sizeof *ns, by_value);
  char config[32];
  snprintf(config, sizeof config, "%s/%d", use_barrier ? "barrier" : "stop", threads);
#ifdef TSHEAP_FREE_THREADED
  const char *peer = use_barrier ? "pthread-barrier" : "tsheap-ft";
#else
  const char *peer = use_barrier ? "pthread-barrier" : "tsheap-gil";
#endif
  report("world", peer, config, "median ns", ns[rounds / 2]);
  report("world", peer, config, "p90 ns", ns[rounds * 9 / 10]);
  free(ns);
}

int main(int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "stop";
  if (strcmp(mode, "safepoint") == 0) {
    long calls = argc > 2 ? atol(argv[2]) : 1000000;
    int bare = argc > 3 && strcmp(argv[3], "none") == 0;
    tsheap_state *st;
    if (tsheap_state_create(0, &st) != TSHEAP_OK)
      return 1;
    for (long i = 0; i < calls; i++) {
      if (!bare)
        tsheap_safepoint();
      __asm__ volatile("" ::: "memory");   /* one iteration per call, none merged */
    }
    return tsheap_state_end(st) != TSHEAP_OK;
  }
  int threads = argc > 2 ? atoi(argv[2]) : 1;
  long rounds = argc > 3 ? atol(argv[3]) : 10000;
  if (threads < 1 || threads > MAX_THREADS || rounds < 1)
    return 2;
  use_barrier = strcmp(mode, "barrier") == 0;
  round_trips(threads, rounds);
  return 0;
}
