/* xfree.c - workload 3: cross-thread free.  The main thread allocates
 * 64-byte blocks and passes them through a bounded ring to a second thread,
 * which frees them.  Both work in batches of 64; GIL peers take the GIL
 * around each batch (the ring itself needs no lock).  Prints ns per object:
 * wall time until the last block is freed, over the number of blocks.
 *
 *   xfree OBJECTS */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "clock.h"
#include "peer.h"

#define SIZE 64
#define BATCH 64
#define RING 4096            /* slots, a power of two */

static void *ring[RING];
static _Atomic size_t head, tail;   /* head: next to pop; tail: next to push */
static long objects;

/* Spin briefly, then give the core away: the two threads share two cores
 * with everything else on the machine. */
static void backoff(int *spins)
{
  if (++*spins < 100)
    __builtin_ia32_pause();
  else
    sched_yield();
}

static void push(void **b, int n)
{
  size_t t = atomic_load_explicit(&tail, memory_order_relaxed);
  int spins = 0;
  while (t + (size_t)n - atomic_load_explicit(&head, memory_order_acquire) > RING) backoff(&spins);
  for (int i = 0; i < n; i++) ring[(t + (size_t)i) & (RING - 1)] = b[i];
  atomic_store_explicit(&tail, t + (size_t)n, memory_order_release);
}

static int pop(void **b)
{
  size_t h = atomic_load_explicit(&head, memory_order_relaxed), t;
  int spins = 0;
  while ((t = atomic_load_explicit(&tail, memory_order_acquire)) == h) backoff(&spins);
  int n = t - h < BATCH ? (int)(t - h) : BATCH;
  for (int i = 0; i < n; i++) b[i] = ring[(h + (size_t)i) & (RING - 1)];
  atomic_store_explicit(&head, h + (size_t)n, memory_order_release);
  return n;
}

static void *consumer(void *arg)
{
  void *b[BATCH];
  (void)arg;
  peer_thread_begin();
  for (long done = 0; done < objects;) {
    int n = pop(b);
    peer_lock();
    for (int i = 0; i < n; i++) peer_free(b[i]);
    peer_unlock();
    done += n;
  }
  peer_thread_end();
  return NULL;
}

static void produce(long n)
{
  void *b[BATCH];
  for (long made = 0; made < n; made += BATCH) {
    peer_lock();
    for (int i = 0; i < BATCH; i++) b[i] = peer_malloc(SIZE);
    peer_unlock();
    push(b, BATCH);
  }
}

int main(int argc, char **argv)
{
  pthread_t t;
  objects = (argc > 1 ? atol(argv[1]) : 10000000) / BATCH * BATCH;
  if (objects <= 0) objects = BATCH;
  peer_init();
  peer_thread_begin();
  double t0 = now_ns();
  if (pthread_create(&t, NULL, consumer, NULL) != 0) peer_die("pthread_create failed");
  produce(objects);
  pthread_join(t, NULL);
  double t1 = now_ns();
  peer_thread_end();
  report("xfree", PEER_NAME, "64", "ns", (t1 - t0) / (double)objects);
  return 0;
}
