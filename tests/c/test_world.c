/* test_world.c - attached and detached threads, and stopping the world:
 * while a thread holds the world stopped no other thread runs runtime code
 * (its progress counter stands still), attaching waits for the start, and
 * no mix of stoppers, exits, ends and detaches hangs.
 *
 * Runtime code here is what a worker does between safepoints: count, and
 * allocate and free.  In the GIL build it runs holding the GIL, as a GIL
 * runtime's does; the free-threaded build needs no lock for it.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define WORKERS 4

static void hold_runtime(void)
{
#ifndef TSHEAP_FREE_THREADED
  CHECK_STATUS(tsheap_gil_acquire(), TSHEAP_OK);
#endif
}

static void let_go_runtime(void)
{
#ifndef TSHEAP_FREE_THREADED
  CHECK_STATUS(tsheap_gil_release(), TSHEAP_OK);
#endif
}

static void sleep_us(long us)
{
  struct timespec t = { us / 1000000, (us % 1000000) * 1000 };
  nanosleep(&t, NULL);
}

static tsheap_state *new_state(void)
{
  tsheap_state *st = NULL;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  return st;
}

/* ---- one thread: the calls and their statuses ---- */

static void test_alone(void)
{
  CHECK(!tsheap_world_stopped());
  CHECK_STATUS(tsheap_world_start(), TSHEAP_E_WORLD);
  CHECK_STATUS(tsheap_detach(), TSHEAP_E_NOSTATE);
  CHECK_STATUS(tsheap_attach(), TSHEAP_E_NOSTATE);
  /* no state is needed to stop the world, and a stop is not recursive */
  CHECK_STATUS(tsheap_world_stop(), TSHEAP_OK);
  CHECK(tsheap_world_stopped());
  CHECK_STATUS(tsheap_world_stop(), TSHEAP_E_WORLD);
  tsheap_safepoint();   /* the stopper's own safepoint does not park it */
  CHECK_STATUS(tsheap_world_start(), TSHEAP_OK);
  CHECK(!tsheap_world_stopped());
  CHECK_STATUS(tsheap_world_start(), TSHEAP_E_WORLD);

  tsheap_state *st = new_state();
  hold_runtime();
  void *p = tsheap_malloc(TSHEAP_DOMAIN_RAW, 32);
  CHECK(p != NULL);
  let_go_runtime();
  CHECK_STATUS(tsheap_detach(), TSHEAP_OK);
  CHECK_STATUS(tsheap_detach(), TSHEAP_OK);   /* twice is once */
#ifdef TSHEAP_FREE_THREADED
  /* a detached thread's allocations are refused, and its owner calls too */
  void *q = NULL;
  CHECK_REFUSED(tsheap_malloc(TSHEAP_DOMAIN_RAW, 8), TSHEAP_E_DETACHED);
  CHECK_REFUSED(tsheap_zalloc(TSHEAP_DOMAIN_GC, 8), TSHEAP_E_DETACHED);
  CHECK_REFUSED(tsheap_realloc(TSHEAP_DOMAIN_RAW, NULL, 8), TSHEAP_E_DETACHED);
  CHECK_STATUS(tsheap_state_malloc(st, TSHEAP_DOMAIN_RAW, 8, &q), TSHEAP_E_DETACHED);
  CHECK(q == NULL);
  CHECK_STATUS(tsheap_state_end_domain(st, TSHEAP_DOMAIN_RAW, TSHEAP_END_MODE_RELEASE), TSHEAP_E_DETACHED);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_E_DETACHED);
  tsheap_state *other = NULL;
  CHECK_STATUS(tsheap_state_create(0, &other), TSHEAP_E_DETACHED);
#endif
  /* a detached thread may stop the world, and stays detached */
  CHECK_STATUS(tsheap_world_stop(), TSHEAP_OK);
  CHECK_STATUS(tsheap_world_start(), TSHEAP_OK);
  CHECK_STATUS(tsheap_attach(), TSHEAP_OK);
  CHECK_STATUS(tsheap_attach(), TSHEAP_OK);
  hold_runtime();
  void *r = tsheap_malloc(TSHEAP_DOMAIN_RAW, 8);
  CHECK(r != NULL);
  tsheap_free(r);
  tsheap_free(p);
  let_go_runtime();
  /* the stopper may end its own state, and make one, while it holds the world */
  CHECK_STATUS(tsheap_world_stop(), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  st = new_state();
  CHECK_STATUS(tsheap_world_start(), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  CHECK_STATUS(tsheap_detach(), TSHEAP_E_NOSTATE);   /* no state, no longer in the world */
}

/* ---- workers that run, detach and exit while others stop the world ---- */

typedef struct worker {
  pthread_t thread;
  atomic_ulong progress;   /* runtime steps taken */
  atomic_int detached;     /* 1 while it sleeps detached */
  int detach_every;        /* steps between detaches; 0 never */
  int exit_after;          /* steps before it exits with its state open; 0 never */
  tsheap_state *st;        /* left open when it exits: ended by whoever joins it */
} worker;

static atomic_int workers_stop;

static void *work(void *arg)
{
  worker *w = arg;
  void *keep[16] = { 0 };
  w->st = new_state();
  hold_runtime();
  for (unsigned long i = 1; !atomic_load(&workers_stop); i++) {
    tsheap_free(keep[i % 16]);
    keep[i % 16] = tsheap_malloc(TSHEAP_DOMAIN_OBJECT, 16 + i % 200);
    CHECK(keep[i % 16] != NULL);
    atomic_fetch_add(&w->progress, 1);
    tsheap_safepoint();
    if (w->detach_every != 0 && i % (unsigned long)w->detach_every == 0) {
      let_go_runtime();
      atomic_store(&w->detached, 1);
      CHECK_STATUS(tsheap_detach(), TSHEAP_OK);
      sleep_us(200);
      CHECK_STATUS(tsheap_attach(), TSHEAP_OK);
      atomic_store(&w->detached, 0);
      hold_runtime();
    }
    if (w->exit_after != 0 && i >= (unsigned long)w->exit_after)
      break;   /* blocks and the state are left for the exit hook */
  }
  for (int k = 0; k < 16; k++) tsheap_free(keep[k]);
  let_go_runtime();
  return NULL;
}

static void start_workers(worker *w, int n, int detach_every)
{
  atomic_store(&workers_stop, 0);
  for (int i = 0; i < n; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].detach_every = detach_every;
    CHECK(pthread_create(&w[i].thread, NULL, work, &w[i]) == 0);
  }
  for (int i = 0; i < n; i++)
    while (atomic_load(&w[i].progress) == 0) sleep_us(100);
}

/* The thread exited with its state open: any thread frees it now. */
static void join_worker(worker *w)
{
  pthread_join(w->thread, NULL);
  CHECK_STATUS(tsheap_state_end(w->st), TSHEAP_OK);
}

static void join_workers(worker *w, int n)
{
  atomic_store(&workers_stop, 1);
  for (int i = 0; i < n; i++) join_worker(&w[i]);
}

/* While the world is stopped nobody's counter moves; after the start every
 * counter moves again. */
static void test_stop_freezes(int detach_every)
{
  worker w[WORKERS];
  start_workers(w, WORKERS, detach_every);
  int frozen = 1, moved = 1;
  for (int round = 0; round < 60; round++) {
    unsigned long before[WORKERS], after[WORKERS];
    CHECK_STATUS(tsheap_world_stop(), TSHEAP_OK);
    for (int i = 0; i < WORKERS; i++) before[i] = atomic_load(&w[i].progress);
    sleep_us(2000);
    for (int i = 0; i < WORKERS; i++) after[i] = atomic_load(&w[i].progress);
    CHECK_STATUS(tsheap_world_start(), TSHEAP_OK);
    for (int i = 0; i < WORKERS; i++) frozen &= before[i] == after[i];
    for (int i = 0; i < WORKERS; i++) {
      unsigned long spins = 0;
      while (atomic_load(&w[i].progress) == after[i] && spins++ < 2000000) sleep_us(10);
      moved &= atomic_load(&w[i].progress) != after[i];
    }
  }
  CHECK(frozen);
  CHECK(moved);
  join_workers(w, WORKERS);
}

/* A detached thread that attaches while the world is stopped waits for the start. */
static void test_attach_waits(void)
{
  worker w[1];
  start_workers(w, 1, 50);
  int waited = 1;
  for (int round = 0; round < 20; round++) {
    while (!atomic_load(&w[0].detached)) sleep_us(20);
    CHECK_STATUS(tsheap_world_stop(), TSHEAP_OK);
    /* it was detached when the stop began: it may not take one step more */
    unsigned long at = atomic_load(&w[0].progress);
    sleep_us(3000);   /* past its 200 us sleep: it is in attach now */
    waited &= atomic_load(&w[0].progress) == at;
    CHECK_STATUS(tsheap_world_start(), TSHEAP_OK);
  }
  CHECK(waited);
  join_workers(w, 1);
}

/* Two stoppers at once are served one after the other. */
static atomic_int in_stop, overlapped;

static void *stopper(void *arg)
{
  int with_state = *(int *)arg;
  tsheap_state *st = with_state ? new_state() : NULL;
  for (int i = 0; i < 200; i++) {
    CHECK_STATUS(tsheap_world_stop(), TSHEAP_OK);
    if (atomic_fetch_add(&in_stop, 1) != 0)
      atomic_store(&overlapped, 1);
    sleep_us(50);
    atomic_fetch_sub(&in_stop, 1);
    CHECK_STATUS(tsheap_world_start(), TSHEAP_OK);
    tsheap_safepoint();
  }
  if (st != NULL)
    CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  return NULL;
}

static void test_two_stoppers(void)
{
  worker w[2];
  start_workers(w, 2, 30);
  pthread_t t[3];
  int with[3] = { 1, 1, 0 };
  for (int i = 0; i < 3; i++) CHECK(pthread_create(&t[i], NULL, stopper, &with[i]) == 0);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  CHECK(!atomic_load(&overlapped));
  join_workers(w, 2);
}

/* Threads that exit with their state open, and threads that end theirs,
 * while stops come and go: no stop waits for a thread that is gone. */
static void *short_lived(void *arg)
{
  worker *w = arg;
  work(w);
  return NULL;
}

static void *ends_its_state(void *arg)
{
  (void)arg;
  for (int i = 0; i < 50; i++) {
    tsheap_state *st = new_state();
    hold_runtime();
    tsheap_free(tsheap_malloc(TSHEAP_DOMAIN_GC, 64));
    tsheap_safepoint();
    let_go_runtime();
    CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  }
  return NULL;
}

static void test_churn(void)
{
  int stops = 0;
  atomic_store(&workers_stop, 0);
  for (int round = 0; round < 30; round++) {
    worker w[3];
    pthread_t ender;
    for (int i = 0; i < 3; i++) {
      memset(&w[i], 0, sizeof w[i]);
      w[i].exit_after = 200 + 100 * i;
      w[i].detach_every = i == 1 ? 40 : 0;
      CHECK(pthread_create(&w[i].thread, NULL, short_lived, &w[i]) == 0);
    }
    CHECK(pthread_create(&ender, NULL, ends_its_state, NULL) == 0);
    for (int k = 0; k < 5; k++) {
      CHECK_STATUS(tsheap_world_stop(), TSHEAP_OK);
      stops++;
      CHECK_STATUS(tsheap_world_start(), TSHEAP_OK);
    }
    for (int i = 0; i < 3; i++) join_worker(&w[i]);
    pthread_join(ender, NULL);
  }
  CHECK(stops == 150);
}

/* A thread that makes its first state while the world is stopped waits. */
static atomic_int made;

static void *makes_state(void *arg)
{
  (void)arg;
  tsheap_state *st = new_state();
  atomic_store(&made, 1);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  return NULL;
}

static void test_create_waits(void)
{
  pthread_t t;
  CHECK_STATUS(tsheap_world_stop(), TSHEAP_OK);
  CHECK(pthread_create(&t, NULL, makes_state, NULL) == 0);
  sleep_us(20000);
  CHECK(!atomic_load(&made));
  CHECK_STATUS(tsheap_world_start(), TSHEAP_OK);
  pthread_join(t, NULL);
  CHECK(atomic_load(&made));
}

/* fork(): the child's world is the forking thread alone. */
static int child_works(int holds_stop)
{
  int bad = tsheap_world_stopped() != holds_stop;
  if (holds_stop)
    bad |= tsheap_world_start() != TSHEAP_OK;
  bad |= tsheap_world_stop() != TSHEAP_OK || tsheap_world_start() != TSHEAP_OK;
  tsheap_state *st = NULL;
  bad |= tsheap_state_create(0, &st) != TSHEAP_OK;
  hold_runtime();
  void *p = tsheap_malloc(TSHEAP_DOMAIN_RAW, 64);
  bad |= p == NULL;
  tsheap_free(p);
  tsheap_safepoint();
  let_go_runtime();
  bad |= tsheap_state_end(st) != TSHEAP_OK;
  return bad;
}

static int fork_and_check(int holds_stop)
{
  pid_t pid = fork();
  if (pid == 0) {
    alarm(10);   /* a child that waits for a stopper it does not have fails */
    _exit(child_works(holds_stop));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static atomic_int helper_holds, helper_may_exit;

/* Holds the world stopped for 50 ms.  In the GIL build a fork waits for
 * the GIL, so for the end of this stop. */
static void *holds_the_world(void *arg)
{
  (void)arg;
  CHECK_STATUS(tsheap_world_stop(), TSHEAP_OK);
  atomic_store(&helper_holds, 1);
  sleep_us(50000);
  CHECK_STATUS(tsheap_world_start(), TSHEAP_OK);
  while (!atomic_load(&helper_may_exit)) sleep_us(100);   /* alive at the fork */
  return NULL;
}

static void test_fork(void)
{
  CHECK_STATUS(tsheap_world_stop(), TSHEAP_OK);
  CHECK(fork_and_check(1));            /* the stopper forks: its child holds the stop */
  CHECK_STATUS(tsheap_world_start(), TSHEAP_OK);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, holds_the_world, NULL) == 0);
  while (!atomic_load(&helper_holds)) sleep_us(100);
  CHECK(fork_and_check(0));            /* another thread's stop stays in the parent */
  atomic_store(&helper_may_exit, 1);
  pthread_join(t, NULL);
}

int main(void)
{
  test_alone();
  test_stop_freezes(0);
  test_stop_freezes(25);
  test_attach_waits();
  test_two_stoppers();
  test_churn();
  test_create_waits();
  test_fork();
  return check_done();
}
