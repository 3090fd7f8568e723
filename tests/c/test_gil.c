/* test_gil.c - the GIL build's lock: take, drop, "do I hold it", mutual
 * exclusion, and the checked build's detection of calls made without it. */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static long shared_counter;   /* plain on purpose: the GIL is its only guard */

static void *count_under_gil(void *arg)
{
  (void)arg;
  for (int i = 0; i < 100000; i++) {
    CHECK_STATUS(tsheap_gil_acquire(), TSHEAP_OK);
    shared_counter++;
    CHECK_STATUS(tsheap_gil_release(), TSHEAP_OK);
  }
  return NULL;
}

static void test_lock(void)
{
  CHECK(tsheap_gil_held() == 0);
  CHECK_STATUS(tsheap_gil_release(), TSHEAP_E_GIL);
  CHECK_STATUS(tsheap_gil_acquire(), TSHEAP_OK);
  CHECK(tsheap_gil_held() == 1);
  CHECK_STATUS(tsheap_gil_acquire(), TSHEAP_E_GIL);
  CHECK_STATUS(tsheap_gil_release(), TSHEAP_OK);
  CHECK(tsheap_gil_held() == 0);

  pthread_t t[4];
  for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, count_under_gil, NULL) == 0);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  CHECK(shared_counter == 400000);
}

/* Run fn in a child; return its wait status. */
static int in_child(void (*fn)(void))
{
  pid_t pid = fork();
  if (pid == 0) {
    fn();
    _exit(0);
  }
  int status = -1;
  waitpid(pid, &status, 0);
  return status;
}

/* A holder that yields lets a waiting thread in; with nobody waiting it keeps
 * the lock. */
static atomic_int waiter_ran;

static void *wait_for_gil(void *arg)
{
  (void)arg;
  CHECK_STATUS(tsheap_gil_acquire(), TSHEAP_OK);
  atomic_store(&waiter_ran, 1);
  CHECK_STATUS(tsheap_gil_release(), TSHEAP_OK);
  return NULL;
}

static void test_yield(void)
{
  CHECK_STATUS(tsheap_gil_yield(), TSHEAP_E_GIL);
  CHECK_STATUS(tsheap_gil_acquire(), TSHEAP_OK);
  CHECK_STATUS(tsheap_gil_yield(), TSHEAP_OK);
  CHECK(tsheap_gil_held() == 1);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, wait_for_gil, NULL) == 0);
  usleep(50000);
  CHECK(atomic_load(&waiter_ran) == 0);     /* held: the waiter waits */
  for (int i = 0; i < 100000 && !atomic_load(&waiter_ran); i++) {
    CHECK_STATUS(tsheap_gil_yield(), TSHEAP_OK);
    if (i % 100 == 99) usleep(1000);
  }
  CHECK(atomic_load(&waiter_ran) == 1);     /* a yield let it in */
  CHECK(tsheap_gil_held() == 1);
  CHECK_STATUS(tsheap_gil_release(), TSHEAP_OK);
  pthread_join(t, NULL);
}

static void malloc_without_gil(void) { tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, 8); }
static void free_without_gil(void) { tsheap_free(NULL); }
static void size_without_gil(void) { tsheap_block_size(NULL); }

static void malloc_with_gil(void)
{
  tsheap_gil_acquire();
  tsheap_free(tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, 8));
  tsheap_gil_release();
  tsheap_free_nogil(tsheap_malloc_nogil(TSHEAP_DOMAIN_DEFAULT, 8));
}

static void test_checked(void)
{
  tsheap_state *st;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  int s = in_child(malloc_without_gil);
  CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGABRT);
  s = in_child(free_without_gil);
  CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGABRT);
  s = in_child(size_without_gil);
  CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGABRT);
  s = in_child(malloc_with_gil);
  CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
}

int main(void)
{
  test_lock();
  test_yield();
  test_checked();
  return check_done();
}
