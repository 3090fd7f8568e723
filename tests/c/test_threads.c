/* test_threads.c - many threads allocating and freeing, frees across
 * threads, states created and ended in a loop, and threads that exit with
 * live blocks which other threads free later. */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "check.h"

#define THREADS 8

static unsigned rnd(unsigned *s)
{
  *s = *s * 1103515245u + 12345u;
  return *s >> 8;
}

/* ---- each thread on its own state, every domain, random sizes ---- */

static void *churn_thread(void *arg)
{
  unsigned seed = (unsigned)(uintptr_t)arg;
  enum { SLOTS = 256 };
  void *slot[SLOTS] = { 0 };
  size_t size[SLOTS] = { 0 };
  tsheap_state *st;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  for (int round = 0; round < 40; round++) {
    GIL_TAKE();
    for (int i = 0; i < 500; i++) {
      unsigned k = rnd(&seed) % SLOTS;
      if (slot[k] != NULL) {
        CHECK(filled(slot[k], size[k], (unsigned char)k));
        tsheap_free(slot[k]);
        slot[k] = NULL;
      } else {
        size[k] = rnd(&seed) % 3 ? rnd(&seed) % 600 : rnd(&seed) % 20000;
        slot[k] = tsheap_malloc((tsheap_domain)(rnd(&seed) % TSHEAP_DOMAIN_COUNT), size[k]);
        CHECK(slot[k] != NULL);
        fill(slot[k], size[k], (unsigned char)k);
      }
    }
    GIL_DROP();
  }
  GIL_TAKE();
  for (int k = 0; k < SLOTS; k++) tsheap_free(slot[k]);
  GIL_DROP();
  for (int d = 0; d < TSHEAP_DOMAIN_COUNT; d++) {
    tsheap_domain_stats s;
    CHECK_STATUS(tsheap_state_stats(st, (tsheap_domain)d, &s), TSHEAP_OK);
    CHECK(s.live_blocks == 0);
  }
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  return NULL;
}

static void test_churn(void)
{
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, churn_thread, (void *)(uintptr_t)(i + 1)) == 0);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
}

/* ---- producers allocate, consumers free; producers end their states first ---- */

#define QUEUE 4096
static struct {
  pthread_mutex_t lock;
  pthread_cond_t more;
  void *item[QUEUE];
  size_t len[QUEUE];
  int head, tail, producers_left;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, { 0 }, 0, 0, 0 };
static atomic_int consumed;
#define PER_PRODUCER 20000

static void *producer(void *arg)
{
  unsigned seed = (unsigned)(uintptr_t)arg;
  tsheap_state *st;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  for (int i = 0; i < PER_PRODUCER; i++) {
    size_t n = 1 + rnd(&seed) % 1500;
    GIL_TAKE();
    void *p = tsheap_malloc((tsheap_domain)(i % TSHEAP_DOMAIN_COUNT), n);
    GIL_DROP();
    CHECK(p != NULL);
    fill(p, n, (unsigned char)n);
    pthread_mutex_lock(&q.lock);
    while ((q.tail + 1) % QUEUE == q.head) {
      pthread_mutex_unlock(&q.lock);
      sched_yield();
      pthread_mutex_lock(&q.lock);
    }
    q.item[q.tail] = p;
    q.len[q.tail] = n;
    q.tail = (q.tail + 1) % QUEUE;
    pthread_cond_signal(&q.more);
    pthread_mutex_unlock(&q.lock);
  }
  /* ends while consumers still hold its blocks: release keeps them valid */
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  pthread_mutex_lock(&q.lock);
  q.producers_left--;
  pthread_cond_broadcast(&q.more);
  pthread_mutex_unlock(&q.lock);
  return NULL;
}

static void *consumer(void *arg)
{
  (void)arg;   /* a thread tsheap never saw: no state */
  for (;;) {
    pthread_mutex_lock(&q.lock);
    while (q.head == q.tail && q.producers_left > 0) pthread_cond_wait(&q.more, &q.lock);
    if (q.head == q.tail) {
      pthread_mutex_unlock(&q.lock);
      return NULL;
    }
    void *p = q.item[q.head];
    size_t n = q.len[q.head];
    q.head = (q.head + 1) % QUEUE;
    pthread_mutex_unlock(&q.lock);
    CHECK(filled(p, n, (unsigned char)n));
    tsheap_free_nogil(p);
    atomic_fetch_add(&consumed, 1);
  }
}

static void test_cross_thread(void)
{
  pthread_t p[3], c[3];
  q.producers_left = 3;
  for (int i = 0; i < 3; i++) CHECK(pthread_create(&p[i], NULL, producer, (void *)(uintptr_t)(i + 7)) == 0);
  for (int i = 0; i < 3; i++) CHECK(pthread_create(&c[i], NULL, consumer, NULL) == 0);
  for (int i = 0; i < 3; i++) pthread_join(p[i], NULL);
  for (int i = 0; i < 3; i++) pthread_join(c[i], NULL);
  CHECK(atomic_load(&consumed) == 3 * PER_PRODUCER);
}

/* ---- states created and ended in a loop, both ways ---- */

static void *lifecycle_thread(void *arg)
{
  int loops = (int)(uintptr_t)arg;
  for (int i = 0; i < loops; i++) {
    tsheap_state *st;
    CHECK_STATUS(tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_DEFAULT), &st), TSHEAP_OK);
    GIL_TAKE();
    void *keep = tsheap_malloc(TSHEAP_DOMAIN_RAW, 100);
    for (int j = 0; j < 50; j++) {
      void *p = tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, 16 + (size_t)j * 40);
      CHECK(p != NULL);
      if (p == NULL)
        fprintf(stderr, "loop %d, block %d: %s\n", i, j, tsheap_strerror(tsheap_last_error()));
    }
    GIL_DROP();
    CHECK_STATUS(tsheap_state_end_domain(st, TSHEAP_DOMAIN_DEFAULT, TSHEAP_END_MODE_DISCARD), TSHEAP_OK);
    CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);   /* releases the rest */
    fill(keep, 100, 1);
    CHECK(filled(keep, 100, 1));
    tsheap_free_nogil(keep);
  }
  return NULL;
}

static void test_lifecycle(void)
{
  pthread_t t[4];
  for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, lifecycle_thread, (void *)(uintptr_t)300) == 0);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
}

/* ---- threads exit with live blocks and without ending their states ---- */

struct leaver {
  tsheap_state *st;
  void *block[100];
};

static void *leaving_thread(void *arg)
{
  struct leaver *l = arg;
  CHECK_STATUS(tsheap_state_create(0, &l->st), TSHEAP_OK);
  GIL_TAKE();
  for (int i = 0; i < 100; i++) {
    l->block[i] = tsheap_malloc((tsheap_domain)(i % TSHEAP_DOMAIN_COUNT), 8 + (size_t)i * 13);
    fill(l->block[i], 8 + (size_t)i * 13, (unsigned char)i);
  }
  GIL_DROP();
  return NULL;   /* no tsheap_state_end: the exit hook releases */
}

static void test_leavers(void)
{
  static struct leaver l[THREADS];
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, leaving_thread, &l[i]) == 0);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < THREADS; i++) {
    CHECK(tsheap_state_owned(l[i].st) == 0);
    for (int j = 0; j < 100; j++) {
      CHECK(filled(l[i].block[j], 8 + (size_t)j * 13, (unsigned char)j));
      tsheap_free_nogil(l[i].block[j]);
    }
    CHECK_STATUS(tsheap_state_end(l[i].st), TSHEAP_OK);   /* any thread ends an orphan */
  }
}

int main(void)
{
  test_churn();
  test_cross_thread();
  test_lifecycle();
  test_leavers();
  return check_done();
}
