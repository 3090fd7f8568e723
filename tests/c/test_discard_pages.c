/* test_discard_pages.c - the pages of a discardable domain after a discard.
 * They stay resident for the next domain.  Left idle for IDLE_DROP_MS
 * (100 ms, core/internal.h), they go back to the OS when a domain next
 * ends: in the free-threaded build when the arena's pool is next used or
 * a domain ends, unless the pool lends that arena itself first, and a
 * dropped arena serves the next domain like a new one; in the GIL build
 * the discarded pools go back to their arenas, and the arenas to the OS
 * once no domain is open (but one).  Each case runs in a process of its
 * own, on a library that has not discarded anything yet. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define BLOCKS 32768
#define BLOCK 256              /* small in both builds; 8 MiB in all */
#define IDLE_MS 250            /* past IDLE_DROP_MS, with room to spare */
#define D TSHEAP_DOMAIN_DEFAULT

static uintptr_t pages[BLOCKS];   /* addresses only: the blocks are gone when they are read */
static int npages;

static double now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
  struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
  while (nanosleep(&t, &t) != 0) {}
}

static tsheap_state *discardable(void)
{
  tsheap_state *st = NULL;
  CHECK_STATUS(tsheap_state_create(TSHEAP_DOMAIN_BIT(D), &st), TSHEAP_OK);
  return st;
}

static int by_address(const void *a, const void *b)
{
  uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
  return (x > y) - (x < y);
}

/* Fills the domain with written blocks and notes their pages, each once. */
static void fill_domain(tsheap_state *st, unsigned char seed)
{
  long page = sysconf(_SC_PAGESIZE);
  npages = 0;
  for (int i = 0; i < BLOCKS; i++) {
    void *p = NULL;
    CHECK_STATUS(tsheap_state_malloc(st, D, BLOCK, &p), TSHEAP_OK);
    if (p == NULL) return;
    fill(p, BLOCK, seed);
    pages[npages++] = (uintptr_t)p & ~(uintptr_t)(page - 1);
  }
  qsort(pages, (size_t)npages, sizeof pages[0], by_address);
  int n = 0;
  for (int i = 0; i < npages; i++)
    if (n == 0 || pages[i] != pages[n - 1]) pages[n++] = pages[i];
  npages = n;
}

/* How many of the noted pages are resident (an unmapped one is not). */
static int resident(void)
{
  long page = sysconf(_SC_PAGESIZE);
  int n = 0;
  for (int i = 0; i < npages; i++) {
    unsigned char in = 0;
    if (mincore((void *)pages[i], (size_t)page, &in) == 0)
      n += in & 1;
    else
      CHECK(errno == ENOMEM);
  }
  return n;
}

static void discard(tsheap_state *st)
{
  CHECK_STATUS(tsheap_state_end_domain(st, D, TSHEAP_END_MODE_DISCARD), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
}

/* A discard keeps the pages; a domain that ends right after does not drop them. */
static void case_kept(void)
{
  for (int tries = 0; tries < 5; tries++) {
    tsheap_state *a = discardable(), *b = discardable();
    fill_domain(a, 1);
    CHECK(npages >= BLOCKS * BLOCK / 4096);
    CHECK(resident() == npages);
    double t0 = now_ms();
    discard(a);
    CHECK_STATUS(tsheap_state_end(b), TSHEAP_OK);
    double t1 = now_ms();
    if (t1 - t0 < 100) {     /* else the machine stalled past the delay: again */
      CHECK(resident() == npages);
      return;
    }
  }
  CHECK(!"five tries, each stalled past the delay");
}

/* An arena idle past the delay is dropped by the next return, and serves a
 * domain again afterwards: its blocks hold what is written, zeroed blocks
 * are zero. */
static void case_dropped(void)
{
  tsheap_state *a = discardable(), *b = discardable();
  fill_domain(a, 2);
  uintptr_t lo = pages[0], hi = pages[npages - 1];
  discard(a);
  sleep_ms(IDLE_MS);
  discard(b);
  CHECK(resident() == 0);
  /* b's arena came back last and goes first; a's is next */
  tsheap_state *c = discardable(), *d = discardable();
  int in_a = 0;
  for (int i = 0; i < BLOCKS; i++) {
    void *p = NULL, *z = NULL;
    CHECK_STATUS(tsheap_state_malloc(d, D, BLOCK, &p), TSHEAP_OK);
    CHECK_STATUS(tsheap_state_calloc(d, D, 1, BLOCK, &z), TSHEAP_OK);
    if (p == NULL || z == NULL) break;
    in_a += (uintptr_t)p >= hi - ((size_t)128 << 20) && (uintptr_t)p < lo + ((size_t)128 << 20);
    fill(p, BLOCK, 3);
    CHECK(filled(p, BLOCK, 3));
    const unsigned char *zb = z;
    int zero = 1;
    for (int j = 0; j < BLOCK; j++) zero &= zb[j] == 0;
    CHECK(zero);
  }
  CHECK(in_a == BLOCKS);
  discard(d);
  discard(c);
}

/* A borrow that lends the idle arena itself keeps its pages. */
static void case_lent_again(void)
{
  tsheap_state *a = discardable(), *b = discardable();
  fill_domain(a, 4);
  discard(a);
  sleep_ms(IDLE_MS);
  tsheap_state *c = discardable();
  CHECK(resident() == npages);
  discard(b);
  CHECK(resident() == npages);
  discard(c);
}

/* With no other discardable domain about, any domain that ends drops them
 * (the GIL build keeps one free arena of 1 MiB mapped). */
static void case_tidied(void)
{
  tsheap_state *a = discardable(), *plain = NULL;
  fill_domain(a, 5);
  discard(a);
  sleep_ms(IDLE_MS);
  CHECK(resident() == npages);
  CHECK_STATUS(tsheap_state_create(0, &plain), TSHEAP_OK);
  CHECK(resident() == npages);
  CHECK_STATUS(tsheap_state_end(plain), TSHEAP_OK);
  CHECK(resident() <= (FREE_THREADED ? 0 : (1 << 20) / sysconf(_SC_PAGESIZE)));
}

static void in_child(void (*run)(void))
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    atomic_store(&check_passed, 0);   /* the child reports its own checks */
    atomic_store(&check_failed, 0);
    run();
    int failed = check_done();
    fflush(stdout);
    _exit(failed);
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
  in_child(case_kept);
  in_child(case_tidied);
  if (FREE_THREADED) {      /* the arena pool's own rules */
    in_child(case_dropped);
    in_child(case_lent_again);
  }
  return check_done();
}
