/* test_facts.c - each fact of mimalloc (2.0.9 and 3.0.1, core/ft/mimalloc.md)
 * that tsheap must protect its users from, as a test that fails without the
 * protection. */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* ---- 1. only the owner thread allocates into a state ---- */

static void *try_foreign_alloc(void *arg)
{
  void *p = NULL;
  CHECK_STATUS(tsheap_state_malloc(arg, TSHEAP_DOMAIN_DEFAULT, 32, &p), TSHEAP_E_NOT_OWNER);
  CHECK_STATUS(tsheap_state_calloc(arg, TSHEAP_DOMAIN_DEFAULT, 2, 32, &p), TSHEAP_E_NOT_OWNER);
  CHECK(p == NULL);
  /* the fast path only ever reaches the calling thread's own current state */
  CHECK_REFUSED(tsheap_malloc_nogil(TSHEAP_DOMAIN_DEFAULT, 32), TSHEAP_E_NOSTATE);
  return NULL;
}

static void fact_owner_only(void)
{
  tsheap_state *st;
  pthread_t t;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  CHECK(pthread_create(&t, NULL, try_foreign_alloc, st) == 0);
  pthread_join(t, NULL);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
}

/* ---- 2. a thread exits without ending its state ----
 * mimalloc deletes the thread's heaps from a pthread key destructor.  A key
 * destructor of the test's own sees what tsheap holds at that moment: every
 * domain must already be released and the state orphaned, whatever the
 * order of key destructors. */

static pthread_key_t probe_key;
static atomic_int probe_ran, probe_saw_open;

static void probe(void *arg)
{
  tsheap_state *st = arg;
  atomic_store(&probe_ran, 1);
  /* white box: a state starts with the per-domain heap pointers */
  void *const *heap = (void *const *)st;
  for (int d = 0; d < TSHEAP_DOMAIN_COUNT; d++)
    if (FREE_THREADED && heap[d] != NULL) atomic_store(&probe_saw_open, 1);
  if (tsheap_state_current() != NULL) atomic_store(&probe_saw_open, 1);
}

struct exiting {
  tsheap_state *st;
  unsigned char *block[500];
};

static void *exit_without_end(void *arg)
{
  struct exiting *e = arg;
  CHECK_STATUS(tsheap_state_create(0, &e->st), TSHEAP_OK);
  pthread_setspecific(probe_key, e->st);
  GIL_TAKE();
  for (int i = 0; i < 500; i++) {
    e->block[i] = tsheap_malloc((tsheap_domain)(i % TSHEAP_DOMAIN_COUNT), 64);
    fill(e->block[i], 64, (unsigned char)i);
  }
  GIL_DROP();
  return NULL;
}

static void *allocate_a_lot(void *arg)
{
  tsheap_state **out = arg, *st;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  *out = st;   /* left open: its thread exits first */
  GIL_TAKE();
  for (int i = 0; i < 20000; i++) {
    void *p = tsheap_malloc((tsheap_domain)(i % TSHEAP_DOMAIN_COUNT), 64);
    memset(p, 0xEE, 64);
  }
  GIL_DROP();
  CHECK_STATUS(tsheap_state_end_domain(st, TSHEAP_DOMAIN_RAW, TSHEAP_END_MODE_RELEASE), TSHEAP_OK);
  return NULL;
}

static void fact_thread_exit(void)
{
  static struct exiting e;
  pthread_t t;
  tsheap_domain_stats s;
  CHECK(pthread_key_create(&probe_key, probe) == 0);
  CHECK(pthread_create(&t, NULL, exit_without_end, &e) == 0);
  pthread_join(t, NULL);
  CHECK(atomic_load(&probe_ran) == 1);
  CHECK(atomic_load(&probe_saw_open) == 0);
  /* the heaps are gone; the state is an orphan nobody may use but end */
  CHECK(tsheap_state_owned(e.st) == 0);
  CHECK_STATUS(tsheap_state_stats(e.st, TSHEAP_DOMAIN_DEFAULT, &s), TSHEAP_E_NOT_OWNER);
  /* new threads reuse the memory mimalloc freed; the blocks stay intact */
  tsheap_state *other = NULL;
  CHECK(pthread_create(&t, NULL, allocate_a_lot, &other) == 0);
  pthread_join(t, NULL);
  CHECK_STATUS(tsheap_state_end(other), TSHEAP_OK);
  for (int i = 0; i < 500; i++) {
    CHECK(filled(e.block[i], 64, (unsigned char)i));
    tsheap_free_nogil(e.block[i]);
  }
  CHECK_STATUS(tsheap_state_end(e.st), TSHEAP_OK);
  pthread_key_delete(probe_key);
}

/* ---- 3. discard never frees a dead thread's live blocks ----
 * A thread exits with live blocks; its segment is abandoned.  A discardable
 * domain then grows past its own segments (mimalloc reclaims abandoned
 * segments exactly then), is discarded, and the memory is reused. */

#define DEAD_BLOCKS 1250
#define GROW_BYTES ((size_t)40 << 20)

static unsigned char *dead_block[DEAD_BLOCKS];
static tsheap_state *dead_state;

static void *die_with_blocks(void *arg)
{
  tsheap_state *st;
  (void)arg;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  dead_state = st;
  GIL_TAKE();
  for (int i = 0; i < DEAD_BLOCKS; i++) {
    dead_block[i] = tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, 64);
    fill(dead_block[i], 64, (unsigned char)(i * 3));
  }
  GIL_DROP();
  return NULL;
}

static int dead_blocks_intact(void)
{
  int intact = 0;
  for (int i = 0; i < DEAD_BLOCKS; i++) intact += filled(dead_block[i], 64, (unsigned char)(i * 3));
  return intact;
}

static int grow(tsheap_domain d, size_t bytes, int byte)
{
  for (size_t n = 0; n < bytes; n += 64) {
    void *p = tsheap_malloc(d, 64);
    if (p == NULL) return 0;
    memset(p, byte, 64);
  }
  return 1;
}

static void fact_discard(void)
{
  pthread_t t;
  tsheap_state *st, *later;
  CHECK(pthread_create(&t, NULL, die_with_blocks, NULL) == 0);
  pthread_join(t, NULL);
  CHECK(dead_blocks_intact() == DEAD_BLOCKS);
  CHECK_STATUS(tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_DEFAULT), &st), TSHEAP_OK);
  GIL_TAKE();
  CHECK(grow(TSHEAP_DOMAIN_DEFAULT, GROW_BYTES, 0x11));
  GIL_DROP();
  CHECK_STATUS(tsheap_state_end_domain(st, TSHEAP_DOMAIN_DEFAULT, TSHEAP_END_MODE_DISCARD), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_create(0, &later), TSHEAP_OK);
  GIL_TAKE();
  CHECK(grow(TSHEAP_DOMAIN_DEFAULT, GROW_BYTES, 0x22));
  GIL_DROP();
  CHECK(dead_blocks_intact() == DEAD_BLOCKS);
  GIL_TAKE();
  for (int i = 0; i < DEAD_BLOCKS; i++) tsheap_free(dead_block[i]);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_end_domain(later, TSHEAP_DOMAIN_DEFAULT, TSHEAP_END_MODE_RELEASE), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(later), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_switch(st), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(dead_state), TSHEAP_OK);
}

/* ---- 3, releases: no other state takes in a released state's blocks ----
 * 3.0's mi_heap_delete abandons the pages, and the next heap that needs a
 * fresh page of their size class takes them in, live blocks and all. */

#define RELEASED_BLOCKS 3000
#define LATER_BLOCKS 20000   /* past the pages the released blocks are on */

static int count_visit(void *block, size_t size, void *arg);

static void fact_release(void)
{
  static void *released[RELEASED_BLOCKS], *later[LATER_BLOCKS];
  tsheap_state *a, *b;
  CHECK_STATUS(tsheap_state_create(0, &a), TSHEAP_OK);
  GIL_TAKE();
  for (int i = 0; i < RELEASED_BLOCKS; i++) {
    released[i] = tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, 64);
    fill(released[i], 64, (unsigned char)i);
  }
  GIL_DROP();
  CHECK_STATUS(tsheap_state_end(a), TSHEAP_OK);    /* released: the blocks live on */
  CHECK_STATUS(tsheap_state_create(0, &b), TSHEAP_OK);
  GIL_TAKE();
  for (int i = 0; i < LATER_BLOCKS; i++) later[i] = tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, 64);
  GIL_DROP();
  tsheap_domain_stats stats;
  int visited = 0;
  CHECK_STATUS(tsheap_state_stats(b, TSHEAP_DOMAIN_DEFAULT, &stats), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_visit(b, TSHEAP_DOMAIN_DEFAULT, count_visit, &visited), TSHEAP_OK);
  CHECK(stats.live_blocks == LATER_BLOCKS);
  CHECK(visited == LATER_BLOCKS);
  int intact = 0;
  GIL_TAKE();
  for (int i = 0; i < RELEASED_BLOCKS; i++) {
    intact += filled(released[i], 64, (unsigned char)i);
    tsheap_free(released[i]);
  }
  for (int i = 0; i < LATER_BLOCKS; i++) tsheap_free(later[i]);
  GIL_DROP();
  CHECK(intact == RELEASED_BLOCKS);
  CHECK_STATUS(tsheap_state_end(b), TSHEAP_OK);
}

/* ---- 4. walking another thread's heap is refused ---- */

static void *visit_foreign(void *arg)
{
  CHECK_STATUS(tsheap_state_visit(arg, TSHEAP_DOMAIN_DEFAULT, NULL, NULL), TSHEAP_E_INVAL);
  return NULL;
}

static int count_visit(void *block, size_t size, void *arg)
{
  (void)block;
  (void)size;
  ++*(int *)arg;
  return 0;
}

static void *visit_foreign_real(void *arg)
{
  int n = 0;
  CHECK_STATUS(tsheap_state_visit(arg, TSHEAP_DOMAIN_DEFAULT, count_visit, &n), TSHEAP_E_NOT_OWNER);
  CHECK(n == 0);
  return NULL;
}

static void fact_visit(void)
{
  tsheap_state *st;
  pthread_t t;
  int n = 0;
  void *p;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_malloc(st, TSHEAP_DOMAIN_DEFAULT, 10, &p), TSHEAP_OK);
  /* detached from its thread or not, another thread may not walk it */
  CHECK_STATUS(tsheap_state_switch(NULL), TSHEAP_OK);
  CHECK(pthread_create(&t, NULL, visit_foreign_real, st) == 0);
  pthread_join(t, NULL);
  CHECK(pthread_create(&t, NULL, visit_foreign, st) == 0);
  pthread_join(t, NULL);
  CHECK_STATUS(tsheap_state_visit(st, TSHEAP_DOMAIN_DEFAULT, count_visit, &n), TSHEAP_OK);
  CHECK(n == 1);
  GIL_TAKE();
  tsheap_free(p);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
}

/* ---- 5. after fork() the child allocates and frees ---- */

static atomic_int spinning = 1;
static tsheap_state *spinner_state[3];   /* a forked child inherits them, never touches them */

static void *gil_spinner(void *arg)
{
  tsheap_state *st;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  spinner_state[(size_t)arg] = st;
  while (atomic_load(&spinning)) {
    void *p = tsheap_malloc_nogil(TSHEAP_DOMAIN_RAW, 48);   /* takes the GIL in the GIL build */
    tsheap_free_nogil(p);
  }
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  return NULL;
}

/* Discardable domains made and discarded in a loop: a fork can come while
 * this thread holds the lock of the free-threaded build's arena pool. */
static void *discard_spinner(void *arg)
{
  (void)arg;
  while (atomic_load(&spinning)) {
    tsheap_state *st;
    CHECK_STATUS(tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_OBJECT), &st), TSHEAP_OK);
    void *p = tsheap_malloc_nogil(TSHEAP_DOMAIN_OBJECT, 64);
    CHECK(p != NULL);
    CHECK_STATUS(tsheap_state_end_domain(st, TSHEAP_DOMAIN_OBJECT, TSHEAP_END_MODE_DISCARD), TSHEAP_OK);
    CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  }
  return NULL;
}

static int child_work(tsheap_state *parent_state, void *parent_block)
{
  int bad = 0;
  tsheap_state *st;
  alarm(20);   /* a lock inherited held would hang the child: fail instead */
  if (tsheap_state_current() != parent_state) bad |= 1;
  GIL_TAKE();
  void *p = tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, 100);   /* the forking thread's state */
  if (p == NULL) bad |= 2;
  memset(p, 1, 100);
  tsheap_free(p);
  tsheap_free(parent_block);
  GIL_DROP();
  if (tsheap_state_create(0, &st) != TSHEAP_OK) bad |= 4;
  for (int i = 0; i < 1000; i++) {
    void *q = tsheap_malloc_nogil((tsheap_domain)(i % TSHEAP_DOMAIN_COUNT), (size_t)i * 3);
    if (q == NULL) bad |= 8;
    tsheap_free_nogil(q);
  }
  if (tsheap_state_end(st) != TSHEAP_OK) bad |= 16;
  /* a discardable domain: the arena pool works in the child */
  if (tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_OBJECT), &st) != TSHEAP_OK) bad |= 64;
  else if (tsheap_state_end_domain(st, TSHEAP_DOMAIN_OBJECT, TSHEAP_END_MODE_DISCARD) != TSHEAP_OK ||
           tsheap_state_end(st) != TSHEAP_OK) bad |= 128;
  if (tsheap_state_switch(parent_state) != TSHEAP_OK) bad |= 32;
  return bad;
}

static void fact_fork(void)
{
  tsheap_state *st;
  pthread_t t[4];
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  for (size_t i = 0; i < 3; i++) CHECK(pthread_create(&t[i], NULL, gil_spinner, (void *)i) == 0);
  /* the pool's lock is the free-threaded build's; in the GIL build this
   * thread would only add a fourth taker of the GIL, which valgrind's
   * scheduler hands round so unevenly that a fork waited minutes for it */
  int discarding = FREE_THREADED;
  if (discarding) CHECK(pthread_create(&t[3], NULL, discard_spinner, NULL) == 0);
  /* many rounds, for a fork to meet the pool's lock held; valgrind's stage
   * asks for fewer (a fork under valgrind takes about a second) */
  const char *env = getenv("TSHEAP_FORK_ROUNDS");
  int rounds = env != NULL ? atoi(env) : 200;
  CHECK(rounds > 0);
  for (int round = 0; round < rounds; round++) {
    void *block = tsheap_malloc_nogil(TSHEAP_DOMAIN_DEFAULT, 200);
    pid_t pid = fork();
    if (pid == 0) _exit(child_work(st, block));
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      fprintf(stderr, "child status 0x%x\n", status);
    tsheap_free_nogil(block);
  }
  atomic_store(&spinning, 0);
  for (int i = 0; i < 3 + discarding; i++) pthread_join(t[i], NULL);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
}

/* ---- 6. linking tsheap does not change the program's malloc ----
 * This program links libtsheap(t) and uses its inline fast paths, but not
 * -lmimalloc: malloc must stay glibc's. */

static void fact_malloc_unchanged(void)
{
  Dl_info info;
  void *(*volatile m)(size_t) = malloc;
  CHECK(dladdr((void *)m, &info) != 0);
  CHECK(info.dli_fname != NULL && strstr(info.dli_fname, "mimalloc") == NULL);
  /* mimalloc is loaded (the library uses it), yet malloc's blocks are not its */
  int (*in_mimalloc)(const void *) = (int (*)(const void *))dlsym(RTLD_DEFAULT, "mi_is_in_heap_region");
  CHECK(in_mimalloc != NULL);
  if (in_mimalloc == NULL) return;
  void *p = malloc(64);
  CHECK(p != NULL && !in_mimalloc(p));
  free(p);
}

int main(void)
{
  fact_owner_only();
  fact_thread_exit();
  fact_discard();
  fact_release();
  fact_visit();
  fact_fork();
  fact_malloc_unchanged();
  return check_done();
}
