/* threads.c - workload 2: N threads each allocate and free batches of 1000
 * 64-byte blocks at once.  Prints the per-thread cost: wall time from a
 * common start to the last thread's end, over one thread's pairs.  With
 * perfect scaling it stays flat from 1 to 2 threads; GIL peers take the GIL
 * around each batch, so their threads take turns.  Also the CPU time each
 * thread used, over its pairs (averaged over the threads): what contention
 * inside the allocator costs, without the time another process or a lock
 * holder kept a thread off its core.
 *
 *   threads NTHREADS ROUNDS */
#include <pthread.h>

#include "clock.h"
#include "peer.h"

#define BATCH 1000
#define SIZE 64

static long rounds;
static pthread_barrier_t start, stop;
static double cpu_ns[64];         /* CPU time of each thread's timed loop */

static double thread_cpu_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void batches(void **blocks, long n)
{
  for (long r = 0; r < n; r++) {
    peer_lock();
    for (int i = 0; i < BATCH; i++) blocks[i] = peer_malloc(SIZE);
    peer_escape(blocks);
    for (int i = 0; i < BATCH; i++) peer_free(blocks[i]);
    peer_unlock();
  }
}

static void *worker(void *arg)
{
  void *blocks[BATCH];
  double *cpu = arg;
  peer_thread_begin();
  batches(blocks, rounds / 10 + 1);     /* warm up before the clock starts */
  pthread_barrier_wait(&start);
  double c0 = thread_cpu_ns();
  batches(blocks, rounds);
  *cpu = thread_cpu_ns() - c0;
  pthread_barrier_wait(&stop);
  peer_thread_end();
  return NULL;
}

int main(int argc, char **argv)
{
  int n = argc > 1 ? atoi(argv[1]) : 1;
  rounds = argc > 2 ? atol(argv[2]) : 10000;
  pthread_t t[64];
  char config[16];
  if (n < 1 || n > 64) peer_die("1 to 64 threads");
  peer_init();
  pthread_barrier_init(&start, NULL, (unsigned)n + 1);
  pthread_barrier_init(&stop, NULL, (unsigned)n + 1);
  for (int i = 0; i < n; i++)
    if (pthread_create(&t[i], NULL, worker, &cpu_ns[i]) != 0) peer_die("pthread_create failed");
  pthread_barrier_wait(&start);
  double t0 = now_ns();
  pthread_barrier_wait(&stop);
  double t1 = now_ns();
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  double cpu = 0;
  for (int i = 0; i < n; i++) cpu += cpu_ns[i] / n;
  snprintf(config, sizeof config, "%d", n);
  report("threads", PEER_NAME, config, "ns", (t1 - t0) / ((double)rounds * BATCH));
  snprintf(config, sizeof config, "cpu/%d", n);
  report("threads", PEER_NAME, config, "ns", cpu / ((double)rounds * BATCH));
  return 0;
}
