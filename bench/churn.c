/* churn.c - workload 4: thread churn.  Short-lived threads, one after the
 * other: each begins (tsheap: creates a state; mi_heap: a heap; pymalloc: a
 * thread state), allocates and frees a batch of 64-byte blocks, and ends
 * (its state with it).  Plain malloc peers have nothing to begin or end.
 * Prints microseconds per thread, thread creation and join included.
 *
 *   churn THREADS BLOCKS */
#include <pthread.h>

#include "clock.h"
#include "peer.h"

#define SIZE 64
#define MAX_BLOCKS 100000

static long blocks_per_thread;
static void *blocks[MAX_BLOCKS];     /* one thread at a time uses it */

static void *short_lived(void *arg)
{
  (void)arg;
  peer_thread_begin();
  peer_lock();
  for (long i = 0; i < blocks_per_thread; i++) blocks[i] = peer_malloc(SIZE);
  peer_escape(blocks);
  for (long i = 0; i < blocks_per_thread; i++) peer_free(blocks[i]);
  peer_unlock();
  peer_thread_end();
  return NULL;
}

static void churn(long threads)
{
  for (long i = 0; i < threads; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, short_lived, NULL) != 0) peer_die("pthread_create failed");
    pthread_join(t, NULL);
  }
}

int main(int argc, char **argv)
{
  long threads = argc > 1 ? atol(argv[1]) : 2000;
  blocks_per_thread = argc > 2 ? atol(argv[2]) : 1000;
  if (threads < 1 || blocks_per_thread < 1 || blocks_per_thread > MAX_BLOCKS) peer_die("bad arguments");
  peer_init();
  churn(threads / 10 + 1);            /* warm up: stacks, arenas, caches */
  double t0 = now_ns();
  churn(threads);
  double t1 = now_ns();
  report("churn", PEER_NAME, "thread", "us", (t1 - t0) / 1e3 / (double)threads);
  return 0;
}
