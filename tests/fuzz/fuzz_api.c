/* fuzz_api.c - libFuzzer harness for the tsheap C API, against a shadow model.
 *
 * The input is a sequence of operations (one opcode byte, then the bytes each
 * operation reads; an exhausted input reads as zeros).  The harness keeps a
 * model of every thread state (open domains, discardable mask, counters,
 * thresholds) and of every live block (address, size, state, domain, and a
 * fill pattern written at allocation), and aborts with a message on any
 * difference between the library and the model:
 *
 *   - block contents, checked before every free and realloc and after every
 *     discard and every visit; blocks must not overlap, must be aligned as
 *     documented and have tsheap_block_size() >= their size;
 *   - tsheap_state_visit reports exactly the model's live blocks of that state
 *     and domain, once each, with a size >= the block's (free-threaded build: a
 *     block asked with an alignment above 16 as the mimalloc block holding
 *     it); a visitor that returns nonzero stops the walk;
 *   - tsheap_state_stats: live_blocks equals the model's count, live_bytes is
 *     at least the requested bytes, allocations matches the counter of counted
 *     domains (0 elsewhere), threshold as set;
 *   - tsheap_gc_due against the model's counter and threshold;
 *   - every status and tsheap_last_error() of invalid operations (no state,
 *     ended domain, discard of a domain not discardable, bad domain or mode,
 *     NULL arguments, overflow, absurd sizes, bad alignments, wrong ABI tag,
 *     calls from a thread that does not own the state, the GIL's rules);
 *   - after each input every state is ended and every block freed (so
 *     LeakSanitizer sees every input leave nothing behind).
 *
 * Threads: one helper thread per input frees blocks handed to it through a
 * small queue and makes foreign-thread calls (which must get
 * TSHEAP_E_NOT_OWNER); blocks handed to it leave the model at once and are
 * "pending" until the queue drains, so stats and visits taken without draining
 * may report them (core/ft/mimalloc.md, fact 4: the owner's visit collects what other
 * threads freed).  Short-lived threads create states, allocate, and exit,
 * leaving orphan states and their released blocks behind (fact 2).
 *
 * Free-threaded build specifics (core/ft/mimalloc.md, fact 3): releasing a discardable
 * domain that still has live blocks retires its arena for good, and only 48
 * arenas exist per process, so the harness does that at most RETIRE_BUDGET
 * times per process and predicts TSHEAP_E_LIMIT exactly: an unexpected
 * TSHEAP_E_LIMIT means an arena leaked.
 *
 * GIL build: the harness either holds the GIL (tsheap_gil_acquire) around
 * allocation calls, keeps it across several operations, or uses the _nogil
 * entry points, and it is built with -DTSHEAP_CHECKED so that a call made
 * without the GIL aborts.  At the end of each input the small-block allocator must
 * have no pool in use and no orphan block.
 *
 * Set TSHEAP_FUZZ_TRACE=1 to print each operation on stderr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsheap/tsheap.h>

#ifdef TSHEAP_GIL_DISABLED
#define FT 1
#else
#define FT 0
#if defined(__has_include)
#if __has_include("small.h")
#include "small.h" /* small_get_totals: the library's sources are compiled in */
#define HAVE_SMALL_TOTALS 1
#endif
#endif
#endif

/* The model's own loops: their coverage tells libFuzzer nothing about the
 * library, and instrumenting them costs most of the time of a long input. */
#if defined(__clang__) && __clang_major__ >= 13
#define MODEL_LOOP __attribute__((no_sanitize("coverage"), noinline))
#else
#define MODEL_LOOP
#endif

#define NSLOTS 4               /* thread states alive at once (main thread) */
#define NDOM TSHEAP_DOMAIN_COUNT
#define MAX_BLOCKS 2048
#define MAX_LIVE_BYTES ((size_t)8 << 20)
#define MAX_OPS 1500
#define MAX_PENDING 512
#define QCAP 32
#define NSEEDS 8192
#define MAX_FILL ((size_t)2 << 20)
#define PATTERN_LEN (MAX_FILL + NSEEDS + 64)
#define ARENA_LIMIT 48         /* core/ft/mimalloc.md, fact 3 */
#define RETIRE_BUDGET 12       /* arenas this process may retire on purpose */

/* ------------------------------------------------------------------ */
/* reporting                                                           */

static int opno;
static const char *opname = "(start)";
static int trace;

static void fail(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
static void fail(const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "\nfuzz_api (%s build): MISMATCH at operation %d (%s), %s:%d:\n  ",
          FT ? "free-threaded" : "GIL", opno, opname, file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  abort();
}
#define FAIL(...) fail(__FILE__, __LINE__, __VA_ARGS__)
#define EXPECT(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

static void tr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tr(const char *fmt, ...)
{
  if (!trace)
    return;
  va_list ap;
  fprintf(stderr, "[%3d] ", opno);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
}

static const char *sname(tsheap_status s)
{
  static const char *n[] = { "OK", "E_NOMEM", "E_INVAL", "E_DOMAIN", "E_OVERFLOW", "E_NOSTATE",
                             "E_NOT_OWNER", "E_ENDED", "E_NOT_DISCARDABLE", "E_LIMIT", "E_ABI", "E_GIL" };
  return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "E_?";
}

#define BIT(s) (1u << (unsigned)(s))

static void expect_status(const char *file, int line, tsheap_status got, unsigned allowed, const char *what)
{
  if ((unsigned)got < 32 && (allowed & BIT(got)))
    return;
  char want[200] = "";
  for (int s = 0; s < 32; s++)
    if (allowed & BIT(s)) {
      strcat(want, want[0] ? " or " : "");
      strcat(want, sname((tsheap_status)s));
    }
  fail(file, line, "%s returned %d (%s), want %s", what, (int)got, sname(got), want);
}
#define EXPECT_STATUS(got, allowed, what) expect_status(__FILE__, __LINE__, (got), (allowed), (what))

/* ------------------------------------------------------------------ */
/* input                                                               */

static const uint8_t *in_p;
static size_t in_n;

static unsigned u8(void)
{
  if (in_n == 0)
    return 0;
  in_n--;
  return *in_p++;
}
static unsigned u16(void) { unsigned a = u8(); return a | u8() << 8; }

/* ------------------------------------------------------------------ */
/* the model                                                           */

typedef struct {
  unsigned char *p;
  size_t size;       /* what was asked for */
  size_t align;      /* alignment asked for (1: malloc's) */
  uint32_t seed;     /* contents: pattern[seed .. seed + size) */
  int slot;          /* state slot, or -1 once its domain ended by release (or its thread exited) */
  int dom;
  int lua;           /* the lua heap (L[]) that owns it, or -1 */
} mblock;

typedef struct {
  tsheap_state *st;
  int used;
  int orphan;        /* created by a thread that has exited */
  unsigned disc;     /* discardable mask */
  unsigned open;     /* open domains */
  uint64_t cmin[NDOM], cmax[NDOM], thr[NDOM];
} mstate;

typedef struct {
  void *p;
  int slot, dom;
} mpending;

static unsigned char pattern[PATTERN_LEN];
static mblock blk[MAX_BLOCKS];
static int nblk;
static size_t live_bytes;
static mstate S[NSLOTS];
static int cur = -1;
static uint32_t next_seed;
static mpending pend[MAX_PENDING];
static int npend;
static int retired;          /* arenas retired by this process (free-threaded build) */

/* tsheap_lua_heap_create / tsheap_lua_alloc: a heap on one state's domain */
#define NLUA 4
typedef struct {
  tsheap_lua_heap *h;
  int used_slot;
  int slot, dom;
  size_t cap, used;
} mlua;
static mlua L[NLUA];
static int gil_held_model __attribute__((unused)); /* GIL build: the harness holds the GIL now */

static uint32_t new_seed(void)
{
  next_seed = (next_seed + 2671u) % NSEEDS;
  return next_seed;
}

static int popcount(unsigned x) { return __builtin_popcount(x); }
static int counted(int d) { return (int)TSHEAP_DOMAIN_COUNTED(d); }

static void check_block(const mblock *b, const char *when)
{
  if (b->size == 0 || memcmp(b->p, pattern + b->seed, b->size) == 0)
    return;
  size_t i = 0;
  while (b->p[i] == pattern[b->seed + i])
    i++;
  FAIL("block %p (size %zu, slot %d, domain %d) corrupted %s: byte %zu is 0x%02x, want 0x%02x",
       (void *)b->p, b->size, b->slot, b->dom, when, i, b->p[i], pattern[b->seed + i]);
}

MODEL_LOOP static void check_all(const char *when)
{
  for (int i = 0; i < nblk; i++)
    check_block(&blk[i], when);
}

static void remove_block(int i)
{
  live_bytes -= blk[i].size;
  blk[i] = blk[--nblk];
}

MODEL_LOOP static int model_count(int slot, int d, size_t *bytes)
{
  int n = 0;
  size_t sum = 0;
  for (int i = 0; i < nblk; i++)
    if (blk[i].slot == slot && blk[i].dom == d) {
      n++;
      sum += blk[i].size;
    }
  if (bytes)
    *bytes = sum;
  return n;
}

MODEL_LOOP static int pending_count(int slot, int d)
{
  int n = 0;
  for (int i = 0; i < npend; i++)
    if (pend[i].slot == slot && pend[i].dom == d)
      n++;
  return n;
}

/* The GIL build's usable size: a 16-byte class up to 512 B, else what was asked. */
static size_t gil_block_size(size_t size, size_t align)
{
  if (size <= 512 && align <= 16)
    return size == 0 ? 16 : (size + 15) & ~(size_t)15;
  return size;
}

/* ------------------------------------------------------------------ */
/* calling the library the way each build wants                        */

enum { F_MALLOC, F_ZALLOC, F_MALLOCN, F_CALLOC, F_ALIGNED, F_REALLOC, F_COUNT };
static const char *fname[] = { "malloc", "zalloc", "mallocn", "calloc", "malloc_aligned", "realloc" };

#if !FT
static void gil_take(void)
{
  if (!gil_held_model) {
    EXPECT_STATUS(tsheap_gil_acquire(), BIT(TSHEAP_OK), "tsheap_gil_acquire");
    gil_held_model = 1;
  }
}
static void gil_drop(void)
{
  if (gil_held_model) {
    EXPECT_STATUS(tsheap_gil_release(), BIT(TSHEAP_OK), "tsheap_gil_release");
    gil_held_model = 0;
  }
}
#else
static void gil_drop(void) {}
#endif

/* fn: F_*; a, b: size / count,size / size,alignment; p: realloc's block.
 * how bit 0: free-threaded: the exported function instead of the inline path;
 * GIL build (when the harness does not hold the GIL): the _nogil twin instead
 * of acquire + call + release. */
static void *call_alloc(int fn, tsheap_domain d, size_t a, size_t b, void *p, unsigned how)
{
#if FT
  if (how & 1) {
    switch (fn) {
    case F_MALLOC: return (tsheap_malloc)(d, a);
    case F_ZALLOC: return (tsheap_zalloc)(d, a);
    case F_MALLOCN: return (tsheap_mallocn)(d, a, b);
    case F_CALLOC: return (tsheap_calloc)(d, a, b);
    case F_ALIGNED: return (tsheap_malloc_aligned)(d, a, b);
    default: return (tsheap_realloc)(d, p, a);
    }
  }
  switch (fn) {
  case F_MALLOC: return tsheap_malloc(d, a);
  case F_ZALLOC: return tsheap_zalloc(d, a);
  case F_MALLOCN: return tsheap_mallocn(d, a, b);
  case F_CALLOC: return tsheap_calloc(d, a, b);
  case F_ALIGNED: return tsheap_malloc_aligned(d, a, b);
  default: return tsheap_realloc(d, p, a);
  }
#else
  if (!gil_held_model && (how & 1)) {
    switch (fn) {
    case F_MALLOC: return tsheap_malloc_nogil(d, a);
    case F_ZALLOC: return tsheap_zalloc_nogil(d, a);
    case F_MALLOCN: return tsheap_mallocn_nogil(d, a, b);
    case F_CALLOC: return tsheap_calloc_nogil(d, a, b);
    case F_ALIGNED: return tsheap_malloc_aligned_nogil(d, a, b);
    default: return tsheap_realloc_nogil(d, p, a);
    }
  }
  int took = !gil_held_model;
  gil_take();
  void *r;
  switch (fn) {
  case F_MALLOC: r = tsheap_malloc(d, a); break;
  case F_ZALLOC: r = tsheap_zalloc(d, a); break;
  case F_MALLOCN: r = tsheap_mallocn(d, a, b); break;
  case F_CALLOC: r = tsheap_calloc(d, a, b); break;
  case F_ALIGNED: r = tsheap_malloc_aligned(d, a, b); break;
  default: r = tsheap_realloc(d, p, a); break;
  }
  if (took)
    gil_drop();
  return r;
#endif
}

static void call_free(void *p, unsigned how)
{
#if FT
  if (how & 1)
    (tsheap_free)(p);
  else
    tsheap_free(p);
#else
  if (!gil_held_model && (how & 1)) {
    tsheap_free_nogil(p);
    return;
  }
  int took = !gil_held_model;
  gil_take();
  tsheap_free(p);
  if (took)
    gil_drop();
#endif
}

static size_t call_block_size(const void *p, unsigned how)
{
#if FT
  return (how & 1) ? (tsheap_block_size)(p) : tsheap_block_size(p);
#else
  if (!gil_held_model && (how & 1))
    return tsheap_block_size_nogil(p);
  int took = !gil_held_model;
  gil_take();
  size_t r = tsheap_block_size(p);
  if (took)
    gil_drop();
  return r;
#endif
}

static int call_gc_due(tsheap_domain d, unsigned how)
{
#if FT
  return (how & 1) ? (tsheap_gc_due)(d) : tsheap_gc_due(d);
#else
  if (!gil_held_model && (how & 1))
    return tsheap_gc_due_nogil(d);
  int took = !gil_held_model;
  gil_take();
  int r = tsheap_gc_due(d);
  if (took)
    gil_drop();
  return r;
#endif
}

static void *call_lua_alloc(tsheap_lua_heap *h, void *block, size_t osize, size_t nsize, unsigned how)
{
#if FT
  return (how & 1) ? tsheap_lua_alloc_nogil(h, block, osize, nsize) : tsheap_lua_alloc(h, block, osize, nsize);
#else
  if (!gil_held_model && (how & 1))
    return tsheap_lua_alloc_nogil(h, block, osize, nsize);
  int took = !gil_held_model;
  gil_take();
  void *r = tsheap_lua_alloc(h, block, osize, nsize);
  if (took)
    gil_drop();
  return r;
#endif
}

/* Put last_error at a known value, so that a failing call that does not set it shows. */
static void poison_last_error(void)
{
  (void)call_alloc(F_MALLOC, (tsheap_domain)(NDOM + 5), 8, 0, NULL, 0);
  tsheap_status s = tsheap_last_error();
  EXPECT(s == TSHEAP_E_DOMAIN || s == TSHEAP_E_NOSTATE, "allocation in domain %d gave last_error %s", NDOM + 5, sname(s));
}

/* ------------------------------------------------------------------ */
/* the helper thread: frees blocks and makes foreign calls              */

enum { CMD_FREE, CMD_PROBE, CMD_EXIT };
enum { PR_STATE_MALLOC, PR_STATE_CALLOC, PR_STATS, PR_VISIT, PR_END_RELEASE, PR_END_DISCARD,
       PR_THRESHOLD, PR_RESET, PR_SWITCH, PR_END_STATE, PR_OWNED, PR_NOSTATE, PR_COUNT };
static const char *prname[] = { "state_malloc", "state_calloc", "state_stats", "state_visit",
  "end_domain(release)", "end_domain(discard)", "set_threshold", "reset_count", "state_switch",
  "state_end", "state_owned", "no-state calls" };

typedef struct {
  int kind;
  void *p;
  unsigned how;
  tsheap_state *st;
  int d, probe;
} cmd;

static struct {
  pthread_t th;
  int running;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  cmd q[QCAP];
  unsigned head, tail;   /* head: commands done; tail: commands queued */
  long result, result2;
  void *result_p;
} H = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static int never_visit(void *block, size_t size, void *arg)
{
  (void)block; (void)size; (void)arg;
  return 0;
}

static void helper_probe(const cmd *c)
{
  tsheap_status s = TSHEAP_OK;
  long r2 = 0;
  void *out = NULL;
  tsheap_domain d = (tsheap_domain)c->d;
  switch (c->probe) {
  case PR_STATE_MALLOC: s = tsheap_state_malloc(c->st, d, 8, &out); break;
  case PR_STATE_CALLOC: s = tsheap_state_calloc(c->st, d, 2, 8, &out); break;
  case PR_STATS: { tsheap_domain_stats ds; s = tsheap_state_stats(c->st, d, &ds); break; }
  case PR_VISIT: s = tsheap_state_visit(c->st, d, never_visit, NULL); break;
  case PR_END_RELEASE: s = tsheap_state_end_domain(c->st, d, TSHEAP_END_MODE_RELEASE); break;
  case PR_END_DISCARD: s = tsheap_state_end_domain(c->st, d, TSHEAP_END_MODE_DISCARD); break;
  case PR_THRESHOLD: s = tsheap_state_set_threshold(c->st, d, 5); break;
  case PR_RESET: s = tsheap_state_reset_count(c->st, d); break;
  case PR_SWITCH: s = tsheap_state_switch(c->st); break;
  case PR_END_STATE: s = tsheap_state_end(c->st); break;
  case PR_OWNED: r2 = tsheap_state_owned(c->st); break;
  default: {
    /* this thread has no state: allocation fails, gc_due says no */
#if FT
    out = tsheap_malloc(d, 16);
    r2 = tsheap_gc_due(d) | (tsheap_state_current() != NULL) << 1;
#else
    out = tsheap_malloc_nogil(d, 16);
    r2 = tsheap_gc_due_nogil(d) | (tsheap_state_current() != NULL) << 1;
#endif
    s = tsheap_last_error();
    break;
  }
  }
  H.result = s;
  H.result2 = r2;
  H.result_p = out;
}

static void *helper_main(void *arg)
{
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&H.mu);
    while (H.head == H.tail)
      pthread_cond_wait(&H.cv, &H.mu);
    cmd c = H.q[H.head % QCAP];
    pthread_mutex_unlock(&H.mu);
    if (c.kind == CMD_FREE) {
#if FT
      if (c.how & 1)
        (tsheap_free)(c.p);
      else
        tsheap_free(c.p);
#else
      if (c.how & 1) {
        tsheap_free_nogil(c.p);
      } else {
        if (tsheap_gil_acquire() != TSHEAP_OK) {
          fprintf(stderr, "fuzz_api: helper: tsheap_gil_acquire failed\n");
          abort();
        }
        tsheap_free(c.p);
        tsheap_gil_release();
      }
#endif
    } else if (c.kind == CMD_PROBE) {
      helper_probe(&c);
    }
    pthread_mutex_lock(&H.mu);
    H.head++;
    pthread_cond_broadcast(&H.cv);
    pthread_mutex_unlock(&H.mu);
    if (c.kind == CMD_EXIT)
      return NULL;
  }
}

static void helper_start(void)
{
  H.head = H.tail = 0;
  if (pthread_create(&H.th, NULL, helper_main, NULL) != 0)
    FAIL("pthread_create failed");
  H.running = 1;
}

static void helper_push(const cmd *c)
{
  pthread_mutex_lock(&H.mu);
  if (H.tail - H.head >= QCAP) {
    pthread_mutex_unlock(&H.mu);
    gil_drop();     /* the helper may need the GIL to make room */
    pthread_mutex_lock(&H.mu);
    while (H.tail - H.head >= QCAP)
      pthread_cond_wait(&H.cv, &H.mu);
  }
  H.q[H.tail % QCAP] = *c;
  H.tail++;
  pthread_cond_broadcast(&H.cv);
  pthread_mutex_unlock(&H.mu);
}

/* Wait until the helper has done everything queued: pending frees are done. */
static void helper_drain(void)
{
  gil_drop();
  pthread_mutex_lock(&H.mu);
  while (H.head != H.tail)
    pthread_cond_wait(&H.cv, &H.mu);
  pthread_mutex_unlock(&H.mu);
  npend = 0;
}

static void helper_stop(void)
{
  if (!H.running)
    return;
  cmd c = { .kind = CMD_EXIT };
  helper_push(&c);
  helper_drain();
  pthread_join(H.th, NULL);
  H.running = 0;
}

/* ------------------------------------------------------------------ */
/* choosing                                                            */

static size_t gen_size(void)
{
  static const size_t edge[32] = { 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129,
                                   255, 256, 257, 511, 512, 513, 1023, 1024, 4095, 4096, 4097,
                                   65535, 65536, 131072, 262144, 1048576 };
  unsigned k = u8();
  size_t s;
  switch (k & 7) {
  case 0: s = 0; break;
  case 1: s = 1 + (k >> 3); break;
  case 2: s = 1 + u8() * 2; break;
  case 3: s = 496 + u8() % 33; break;
  case 4: s = 513 + u16() % 7680; break;
  case 5: s = 8192 + (size_t)u16() * 4; break;
  case 6: s = (k & 0x80) ? ((size_t)256 << 10) + (size_t)u16() * 28 : 16 + u8() % 496; break;
  default: s = edge[(k >> 3) & 31]; break;
  }
  if (s > MAX_FILL)
    s = MAX_FILL;
  if (live_bytes + s > MAX_LIVE_BYTES)
    s &= 1023;
  return s;
}

static size_t gen_align(void)
{
  unsigned k = u8();
  if ((k & 15) == 15)
    return (size_t)1 << 16;
  return (size_t)1 << (k % 13);   /* 1 .. 4096 */
}

static int pick_domain(void) { return (int)(u8() % NDOM); }

static int pick_block(void)
{
  if (nblk == 0)
    return -1;
  return (int)(u16() % (unsigned)nblk);
}

/* A used slot (orphans included when allowed), or -1. */
static int pick_slot(int orphans_ok)
{
  unsigned k = u8();
  for (int i = 0; i < NSLOTS; i++) {
    int s = (int)((k + (unsigned)i) % NSLOTS);
    if (S[s].used && (orphans_ok || !S[s].orphan))
      return s;
  }
  return -1;
}

static tsheap_state *current_model(void) { return cur < 0 ? NULL : S[cur].st; }

/* ------------------------------------------------------------------ */
/* adding blocks                                                       */

static int room_for_block(void) { return nblk < MAX_BLOCKS; }

/* The live block that [a, a + len) overlaps, or -1. */
MODEL_LOOP static int find_overlap(uintptr_t a, size_t len)
{
  for (int i = 0; i < nblk; i++) {
    size_t olen = blk[i].size ? blk[i].size : 1;
    if (a < (uintptr_t)blk[i].p + olen && (uintptr_t)blk[i].p < a + len)
      return i;
  }
  return -1;
}

MODEL_LOOP static size_t first_nonzero(const unsigned char *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (p[i])
      return i;
  return n;
}

/* A new block from the library: check it, fill it, add it to the model. */
static void add_block(void *vp, size_t size, size_t align, int slot, int d, int zeroed, const char *fn, unsigned how)
{
  unsigned char *p = vp;
  EXPECT(p != NULL, "%s returned NULL", fn);
  uintptr_t a = (uintptr_t)p;
  size_t natural = size >= 16 ? 16 : size >= 8 ? 8 : 1;
  if (align > 1)
    EXPECT(a % align == 0, "%s(size %zu, alignment %zu) returned %p, misaligned", fn, size, align, vp);
  EXPECT(a % natural == 0, "%s(size %zu) returned %p, not %zu-byte aligned", fn, size, vp, natural);
  size_t bs = call_block_size(p, how);
  EXPECT(bs >= size, "tsheap_block_size(%p) = %zu < %zu asked of %s", vp, bs, size, fn);
  if (!FT)
    EXPECT(bs == gil_block_size(size, align), "GIL build: tsheap_block_size(%p) = %zu, want %zu (size %zu, alignment %zu)",
           vp, bs, gil_block_size(size, align), size, align);
  int i = find_overlap(a, size ? size : 1);
  if (i >= 0)
    FAIL("%s returned %p (size %zu) overlapping the live block %p (size %zu, slot %d, domain %d)", fn, vp, size,
         (void *)blk[i].p, blk[i].size, blk[i].slot, blk[i].dom);
  if (zeroed) {
    size_t z = first_nonzero(p, size);
    EXPECT(z == size, "%s(%zu) returned %p whose byte %zu is 0x%02x, not zero", fn, size, vp, z, p[z]);
  }
  uint32_t seed = new_seed();
  memcpy(p, pattern + seed, size);
  EXPECT(nblk < MAX_BLOCKS, "model full");
  blk[nblk++] = (mblock){ p, size, align, seed, slot, d, -1 };
  live_bytes += size;
}

/* ------------------------------------------------------------------ */
/* operations                                                          */

static void check_current(void)
{
  tsheap_state *c = tsheap_state_current();
  EXPECT(c == current_model(), "tsheap_state_current() = %p, model says %p (slot %d)", (void *)c,
         (void *)current_model(), cur);
}

/* Free-threaded: which creates must fail with TSHEAP_E_LIMIT. */
static int arenas_lent(void)
{
  int n = 0;
  for (int i = 0; i < NSLOTS; i++)
    if (S[i].used && !S[i].orphan)
      n += popcount(S[i].disc & S[i].open);
  return n;
}

static void op_create(void)
{
  unsigned k = u8();
  unsigned mask = k & TSHEAP_DOMAIN_ALL;
  int slot = -1;
  for (int i = 0; i < NSLOTS; i++)
    if (!S[i].used) { slot = i; break; }
  if ((k & 0xf0) == 0xf0 || slot < 0) {
    /* invalid masks; NULL out; wrong ABI tag: nothing is created */
    tsheap_state *st = NULL;
    unsigned bad = mask | (1u << (NDOM + (k >> 4 & 3)));
    EXPECT_STATUS(tsheap_state_create(bad, &st), BIT(TSHEAP_E_DOMAIN), "tsheap_state_create(invalid mask)");
    EXPECT(st == NULL, "a failed create wrote its out parameter");
    EXPECT_STATUS(tsheap_state_create(mask, NULL), BIT(TSHEAP_E_INVAL), "tsheap_state_create(NULL out)");
    EXPECT_STATUS(tsheap_state_create_checked(TSHEAP_ABI ^ (1u + (k & 3)), mask, &st), BIT(TSHEAP_E_ABI),
                  "tsheap_state_create_checked(wrong ABI tag)");
    EXPECT_STATUS(tsheap_state_create_checked(TSHEAP_ABI ^ 0x100u, mask, &st), BIT(TSHEAP_E_ABI),
                  "tsheap_state_create_checked(wrong spec hash)");
    EXPECT(st == NULL, "a failed create wrote its out parameter");
    tr("create: invalid arguments refused");
    return;
  }
  tsheap_state *st = NULL;
  tsheap_status s = tsheap_state_create(mask, &st);
  int want_limit = FT && arenas_lent() + retired + popcount(mask) > ARENA_LIMIT;
  tr("create slot %d mask %u -> %s", slot, mask, sname(s));
  if (want_limit) {
    EXPECT_STATUS(s, BIT(TSHEAP_E_LIMIT), "tsheap_state_create (arena limit reached)");
    return;
  }
  if (s == TSHEAP_E_LIMIT)
    FAIL("tsheap_state_create(mask %u) gave TSHEAP_E_LIMIT with %d arenas lent and %d retired of %d: an arena leaked",
         mask, arenas_lent(), retired, ARENA_LIMIT);
  EXPECT_STATUS(s, BIT(TSHEAP_OK), "tsheap_state_create");
  EXPECT(st != NULL, "tsheap_state_create gave OK and NULL");
  for (int i = 0; i < NSLOTS; i++)
    EXPECT(!S[i].used || S[i].st != st, "tsheap_state_create returned a live state's address %p", (void *)st);
  memset(&S[slot], 0, sizeof S[slot]);
  S[slot].st = st;
  S[slot].used = 1;
  S[slot].disc = mask;
  S[slot].open = TSHEAP_DOMAIN_ALL;
  cur = slot;
  EXPECT(tsheap_state_owned(st) == 1, "tsheap_state_owned(new state) != 1");
  for (int d = 0; d < NDOM; d++) {
    tsheap_domain_stats ds;
    EXPECT_STATUS(tsheap_state_stats(st, (tsheap_domain)d, &ds), BIT(TSHEAP_OK), "tsheap_state_stats(new state)");
    EXPECT(ds.live_blocks == 0 && ds.allocations == 0 && ds.threshold == 0,
           "new state, domain %d: stats %zu blocks, %llu allocations, threshold %llu", d, ds.live_blocks,
           (unsigned long long)ds.allocations, (unsigned long long)ds.threshold);
  }
}

static void op_switch(void)
{
  unsigned k = u8();
  if ((k & 7) == 7) {
    tr("switch NULL");
    EXPECT_STATUS(tsheap_state_switch(NULL), BIT(TSHEAP_OK), "tsheap_state_switch(NULL)");
    cur = -1;
    return;
  }
  int slot = pick_slot(1);
  if (slot < 0)
    return;
  tsheap_status s = tsheap_state_switch(S[slot].st);
  tr("switch slot %d%s -> %s", slot, S[slot].orphan ? " (orphan)" : "", sname(s));
  if (S[slot].orphan) {
    EXPECT_STATUS(s, BIT(TSHEAP_E_NOT_OWNER), "tsheap_state_switch(orphan state)");
    return;
  }
  EXPECT_STATUS(s, BIT(TSHEAP_OK), "tsheap_state_switch");
  cur = slot;
}

/* What a current-state allocation must give: 0 for success, else the status. */
static tsheap_status expect_current_alloc(int d)
{
  if (cur < 0)
    return TSHEAP_E_NOSTATE;
  if (!(S[cur].open & BIT(d)))
    return TSHEAP_E_ENDED;
  return TSHEAP_OK;
}

static void count_alloc(int slot, int d, int ok, int maybe)
{
  if (slot < 0 || !counted(d))
    return;
  if (ok) {
    S[slot].cmin[d]++;
    S[slot].cmax[d]++;
  } else if (maybe) {
    S[slot].cmax[d]++;   /* a refused allocation may have been counted (README: fast paths count first) */
  }
}

static void op_alloc(void)
{
  unsigned k = u8();
  int fn = (int)(k % F_COUNT);
  unsigned how = k >> 3;
  int d = pick_domain();
  size_t size = gen_size();
  size_t count = 1, esize = size, align = 1;
  if (fn == F_MALLOCN || fn == F_CALLOC) {
    count = 1 + u8() % 16;
    esize = size / count;
    size = count * esize;
  } else if (fn == F_ALIGNED) {
    align = gen_align();
  }
  if (!room_for_block())
    return;
  tsheap_status want = expect_current_alloc(d);
  size_t a1 = (fn == F_MALLOCN || fn == F_CALLOC) ? count : size;
  size_t a2 = (fn == F_MALLOCN || fn == F_CALLOC) ? esize : align;
  if (want != TSHEAP_OK)
    poison_last_error();
  void *p = call_alloc(fn, (tsheap_domain)d, a1, a2, NULL, how);
  tr("%s(domain %d, %zu, %zu)%s -> %p", fname[fn], d, a1, a2, fn == F_REALLOC ? " [NULL block]" : "", p);
  if (want != TSHEAP_OK) {
    EXPECT(p == NULL, "tsheap_%s succeeded (%p) where it must fail with %s", fname[fn], p, sname(want));
    EXPECT_STATUS(tsheap_last_error(), BIT(want), "tsheap_last_error() after a refused allocation");
    return;
  }
  if (p == NULL)
    FAIL("tsheap_%s(domain %d, %zu, %zu) failed with %s", fname[fn], d, a1, a2, sname(tsheap_last_error()));
  add_block(p, size, align, cur, d, fn == F_ZALLOC || fn == F_CALLOC, fname[fn], how);
  count_alloc(cur, d, 1, 0);
}

/* Many small blocks of one class at once: pools fill up, arenas are taken. */
static void op_bulk_alloc(void)
{
  unsigned n = 8 + u8() % 120;
  unsigned sz = u8();
  size_t size = 1 + sz * 2;
  int spread = (sz & 3) == 3;   /* one block per size class: many pools at once */
  int d = pick_domain();
  unsigned how = u8();
  tsheap_status want = expect_current_alloc(d);
  tr("bulk alloc %u x %zu in domain %d (%s)", n, size, d, sname(want));
  if (want != TSHEAP_OK)
    return;
  for (unsigned i = 0; i < n && room_for_block() && live_bytes + size <= MAX_LIVE_BYTES; i++) {
    if (spread)
      size = 1 + (i * 16 + sz) % 512;
    void *p = call_alloc(F_MALLOC, (tsheap_domain)d, size, 0, NULL, how >> (i & 7));
    if (p == NULL)
      FAIL("tsheap_malloc(domain %d, %zu) failed with %s", d, size, sname(tsheap_last_error()));
    add_block(p, size, 1, cur, d, 0, "malloc", how);
    count_alloc(cur, d, 1, 0);
  }
}

static void free_block(int i, unsigned how, const char *why)
{
  check_block(&blk[i], why);
  call_free(blk[i].p, how);
  remove_block(i);
}

/* Free every k-th block (k from the input), or those of one domain. */
static void op_bulk_free(void)
{
  unsigned k = 1 + u8() % 4;
  unsigned off = u8();
  int remote = u8() & 1;
  tr("bulk free every %u-th block from %u (%s)", k, off, remote ? "helper" : "local");
  for (int i = nblk - 1; i >= 0; i--) {
    if (((unsigned)i + off) % k != 0 || blk[i].lua >= 0)
      continue;
    if (remote && npend < MAX_PENDING) {
      check_block(&blk[i], "before a free by the helper");
      pend[npend++] = (mpending){ blk[i].p, blk[i].slot, blk[i].dom };
      cmd c = { .kind = CMD_FREE, .p = blk[i].p, .how = off };
      helper_push(&c);
      remove_block(i);
    } else {
      free_block(i, off, "before a free");
    }
  }
}

static void op_state_alloc(void)
{
  unsigned k = u8();
  int zero = k & 1;
  int slot = pick_slot(1);
  int d = pick_domain();
  size_t size = gen_size();
  size_t count = 1, esize = size;
  if (zero) {
    count = 1 + u8() % 8;
    esize = size / count;
    size = count * esize;
  }
  if (!room_for_block())
    return;
  void *out = (void *)1;
  tsheap_status s;
  if ((k & 0x70) == 0x70) {
    /* NULL state, NULL out, bad domain */
    tsheap_state *st = slot >= 0 ? S[slot].st : NULL;
    s = zero ? tsheap_state_calloc(NULL, (tsheap_domain)d, count, esize, &out)
             : tsheap_state_malloc(NULL, (tsheap_domain)d, size, &out);
    EXPECT_STATUS(s, BIT(TSHEAP_E_INVAL), "tsheap_state_malloc/calloc(NULL state)");
    if (st != NULL) {
      s = zero ? tsheap_state_calloc(st, (tsheap_domain)d, count, esize, NULL)
               : tsheap_state_malloc(st, (tsheap_domain)d, size, NULL);
      EXPECT_STATUS(s, BIT(TSHEAP_E_INVAL), "tsheap_state_malloc/calloc(NULL out)");
      s = zero ? tsheap_state_calloc(st, (tsheap_domain)(NDOM + (k >> 7)), count, esize, &out)
               : tsheap_state_malloc(st, (tsheap_domain)-1, size, &out);
      EXPECT_STATUS(s, BIT(TSHEAP_E_DOMAIN) | (S[slot].orphan ? BIT(TSHEAP_E_NOT_OWNER) : 0),
                    "tsheap_state_malloc/calloc(bad domain)");
    }
    tr("state_alloc: invalid arguments refused");
    return;
  }
  if (slot < 0)
    return;
  s = zero ? tsheap_state_calloc(S[slot].st, (tsheap_domain)d, count, esize, &out)
           : tsheap_state_malloc(S[slot].st, (tsheap_domain)d, size, &out);
  tr("state_%s(slot %d, domain %d, %zu) -> %s %p", zero ? "calloc" : "malloc", slot, d, size, sname(s), out);
  if (S[slot].orphan) {
    EXPECT_STATUS(s, BIT(TSHEAP_E_NOT_OWNER), "tsheap_state_malloc(orphan state)");
    return;
  }
  if (!(S[slot].open & BIT(d))) {
    EXPECT_STATUS(s, BIT(TSHEAP_E_ENDED), "tsheap_state_malloc(ended domain)");
    return;
  }
  EXPECT_STATUS(s, BIT(TSHEAP_OK), zero ? "tsheap_state_calloc" : "tsheap_state_malloc");
  add_block(out, size, 1, slot, d, zero, zero ? "state_calloc" : "state_malloc", k >> 1);
  count_alloc(slot, d, 1, 0);
}

static void op_realloc(void)
{
  int i = pick_block();
  int d = pick_domain();
  size_t nsize = gen_size();
  unsigned how = u8();
  if (i < 0 || blk[i].lua >= 0)
    return;
  mblock old = blk[i];
  check_block(&old, "before realloc");
  tsheap_status want = expect_current_alloc(d);
  if (want != TSHEAP_OK)
    poison_last_error();
  void *p = call_alloc(F_REALLOC, (tsheap_domain)d, nsize, 0, old.p, how);
  tr("realloc(domain %d, %p [slot %d domain %d size %zu], %zu) -> %p", d, (void *)old.p, old.slot, old.dom,
     old.size, nsize, p);
  if (want != TSHEAP_OK) {
    EXPECT(p == NULL, "tsheap_realloc succeeded (%p) where it must fail with %s", p, sname(want));
    EXPECT_STATUS(tsheap_last_error(), BIT(want), "tsheap_last_error() after a refused realloc");
    check_block(&blk[i], "after a refused realloc");
    return;
  }
  if (p == NULL)
    FAIL("tsheap_realloc(domain %d, %p, %zu) failed with %s", d, (void *)old.p, nsize, sname(tsheap_last_error()));
  size_t keep = old.size < nsize ? old.size : nsize;
  if (keep && memcmp(p, pattern + old.seed, keep) != 0)
    FAIL("tsheap_realloc(%p, %zu -> %zu) = %p lost the contents", (void *)old.p, old.size, nsize, p);
  remove_block(i);
  /* in place, it is still the block that was asked with that alignment */
  add_block(p, nsize, p == (void *)old.p ? old.align : 1, cur, d, 0, "realloc", how);
  count_alloc(cur, d, 1, 0);
}

static void op_free(void)
{
  unsigned k = u8();
  int i = pick_block();
  if ((k & 15) == 15) {
    tr("free(NULL)");
    call_free(NULL, k >> 4);
    EXPECT(call_block_size(NULL, k >> 5) == 0, "tsheap_block_size(NULL) != 0");
    return;
  }
  if (i < 0 || blk[i].lua >= 0)
    return;
  tr("free %p (slot %d domain %d size %zu)", (void *)blk[i].p, blk[i].slot, blk[i].dom, blk[i].size);
  free_block(i, k, "before a free");
}

static void op_free_remote(void)
{
  unsigned k = u8();
  int i = pick_block();
  if (i < 0 || npend >= MAX_PENDING || blk[i].lua >= 0)
    return;
  check_block(&blk[i], "before a free by the helper");
  tr("helper frees %p (slot %d domain %d size %zu)", (void *)blk[i].p, blk[i].slot, blk[i].dom, blk[i].size);
  pend[npend++] = (mpending){ blk[i].p, blk[i].slot, blk[i].dom };
  cmd c = { .kind = CMD_FREE, .p = blk[i].p, .how = k };
  helper_push(&c);
  remove_block(i);
}

/* ---- visits ---- */

typedef struct {
  uintptr_t p;
  int idx;
} entry;

static entry sorted[MAX_BLOCKS];
static unsigned char seen[MAX_BLOCKS];

MODEL_LOOP static int cmp_entry(const void *a, const void *b)
{
  uintptr_t x = ((const entry *)a)->p, y = ((const entry *)b)->p;
  return x < y ? -1 : x > y;
}

MODEL_LOOP static int collect_model(int slot, int d)
{
  int n = 0;
  for (int i = 0; i < nblk; i++)
    if (blk[i].slot == slot && blk[i].dom == d)
      sorted[n++] = (entry){ (uintptr_t)blk[i].p, i };
  qsort(sorted, (size_t)n, sizeof sorted[0], cmp_entry);
  memset(seen, 0, (size_t)n);
  return n;
}

MODEL_LOOP static int find_sorted(int n, uintptr_t p)
{
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    if (sorted[mid].p == p)
      return mid;
    if (sorted[mid].p < p)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

typedef struct {
  int slot, d, n;
  long calls, extras;
  long stop_after;
  int allow_pending;
} vctx;

/* Whether a block reported at start with size holds the n bytes at p. */
static int holds(const void *start, size_t size, uintptr_t p, size_t n)
{
  return p > (uintptr_t)start && p - (uintptr_t)start <= size && n <= size - (p - (uintptr_t)start);
}

static int visitor(void *block, size_t size, void *arg)
{
  vctx *v = arg;
  v->calls++;
  int j = find_sorted(v->n, (uintptr_t)block);
  if (j >= 0) {
    const mblock *b = &blk[sorted[j].idx];
    EXPECT(!seen[j], "visit of slot %d domain %d reported %p twice", v->slot, v->d, block);
    seen[j] = 1;
    EXPECT(size >= b->size, "visit reported block %p with size %zu < its size %zu", block, size, b->size);
    if (!FT)
      EXPECT(size == gil_block_size(b->size, b->align), "GIL build: visit reported %p with size %zu, want %zu", block,
             size, gil_block_size(b->size, b->align));
    check_block(b, "seen by a visit");
  } else {
    int ok = 0;
    if (FT) {
      /* documented: the free-threaded visit reports a block asked with an
       * alignment above 16 as mimalloc's block that holds it */
      for (int jj = 0; jj < v->n && !ok; jj++) {
        const mblock *b = &blk[sorted[jj].idx];
        if (!seen[jj] && b->align > 16 && holds(block, size, sorted[jj].p, b->size)) {
          seen[jj] = 1;
          check_block(b, "seen by a visit");
          return v->stop_after > 0 && v->calls >= v->stop_after;
        }
      }
    }
    if (v->allow_pending)
      for (int i = 0; i < npend && !ok; i++)
        ok = pend[i].slot == v->slot && pend[i].dom == v->d &&
             (pend[i].p == block || (FT && holds(block, size, (uintptr_t)pend[i].p, 0)));
    if (!ok) {
      const char *where = "no live block";
      for (int i = 0; i < nblk; i++)
        if ((uintptr_t)block >= (uintptr_t)blk[i].p && (uintptr_t)block < (uintptr_t)blk[i].p + (blk[i].size ? blk[i].size : 1))
          FAIL("visit of slot %d domain %d reported %p (size %zu), inside the model's block %p (size %zu, alignment %zu, "
               "slot %d, domain %d)", v->slot, v->d, block, size, (void *)blk[i].p, blk[i].size, blk[i].align,
               blk[i].slot, blk[i].dom);
      for (int i = 0; i < nblk; i++)
        if ((uintptr_t)blk[i].p >= (uintptr_t)block && (uintptr_t)blk[i].p < (uintptr_t)block + size)
          FAIL("visit of slot %d domain %d reported %p (size %zu), which contains the model's block %p (size %zu, "
               "alignment %zu, slot %d, domain %d)", v->slot, v->d, block, size, (void *)blk[i].p, blk[i].size,
               blk[i].align, blk[i].slot, blk[i].dom);
      FAIL("visit of slot %d domain %d reported %p (size %zu): %s there", v->slot, v->d, block, size, where);
    }
    v->extras++;
  }
  return v->stop_after > 0 && v->calls >= v->stop_after;
}

/* Common error paths of the functions that name a state and a domain. */
static unsigned expect_state_domain(int slot, int d)
{
  if (S[slot].orphan)
    return BIT(TSHEAP_E_NOT_OWNER);
  if (!(S[slot].open & BIT(d)))
    return BIT(TSHEAP_E_ENDED);
  return BIT(TSHEAP_OK);
}

static void op_visit(void)
{
  unsigned k = u8();
  int slot = pick_slot(1);
  int d = pick_domain();
  if (slot < 0)
    return;
  if ((k & 31) == 31) {
    EXPECT_STATUS(tsheap_state_visit(S[slot].st, (tsheap_domain)d, NULL, NULL),
                  BIT(TSHEAP_E_INVAL) | (S[slot].orphan ? BIT(TSHEAP_E_NOT_OWNER) : 0), "tsheap_state_visit(NULL visitor)");
    EXPECT_STATUS(tsheap_state_visit(NULL, (tsheap_domain)d, never_visit, NULL), BIT(TSHEAP_E_INVAL),
                  "tsheap_state_visit(NULL state)");
    EXPECT_STATUS(tsheap_state_visit(S[slot].st, (tsheap_domain)(NDOM + (k >> 5)), never_visit, NULL),
                  BIT(TSHEAP_E_DOMAIN) | (S[slot].orphan ? BIT(TSHEAP_E_NOT_OWNER) : 0), "tsheap_state_visit(bad domain)");
    tr("visit: invalid arguments refused");
    return;
  }
  int drain = !(k & 2);
  if (drain)
    helper_drain();
  vctx v = { slot, d, collect_model(slot, d), 0, 0, 0, !drain };
  if (drain && (k & 4))
    v.stop_after = 1 + (long)(u8() % (unsigned)(v.n + 2));
  tsheap_status s = tsheap_state_visit(S[slot].st, (tsheap_domain)d, visitor, &v);
  tr("visit slot %d domain %d (%s, stop after %ld) -> %s, %ld calls, model %d", slot, d,
     drain ? "drained" : "not drained", v.stop_after, sname(s), v.calls, v.n);
  EXPECT_STATUS(s, expect_state_domain(slot, d), "tsheap_state_visit");
  if (s != TSHEAP_OK) {
    EXPECT(v.calls == 0, "a refused visit called the visitor");
    return;
  }
  if (v.stop_after > 0) {
    long want = v.stop_after < v.n ? v.stop_after : v.n;
    EXPECT(v.calls == want, "visit of slot %d domain %d with a visitor that stops after %ld: %ld calls, want %ld",
           slot, d, v.stop_after, v.calls, want);
  } else {
    for (int j = 0; j < v.n; j++)
      if (!seen[j]) {
        const mblock *b = &blk[sorted[j].idx];
        FAIL("visit of slot %d domain %d missed the live block %p (size %zu, alignment %zu); %ld blocks reported, "
             "model has %d", slot, d, (void *)b->p, b->size, b->align, v.calls, v.n);
      }
  }
  check_all("after a visit");
}

static void op_stats(void)
{
  unsigned k = u8();
  int slot = pick_slot(1);
  int d = pick_domain();
  if (slot < 0)
    return;
  tsheap_domain_stats ds;
  if ((k & 31) == 31) {
    EXPECT_STATUS(tsheap_state_stats(S[slot].st, (tsheap_domain)d, NULL), BIT(TSHEAP_E_INVAL) |
                  (S[slot].orphan ? BIT(TSHEAP_E_NOT_OWNER) : 0), "tsheap_state_stats(NULL out)");
    EXPECT_STATUS(tsheap_state_stats(NULL, (tsheap_domain)d, &ds), BIT(TSHEAP_E_INVAL), "tsheap_state_stats(NULL state)");
    EXPECT_STATUS(tsheap_state_stats(S[slot].st, (tsheap_domain)(NDOM + (k >> 5)), &ds),
                  BIT(TSHEAP_E_DOMAIN) | (S[slot].orphan ? BIT(TSHEAP_E_NOT_OWNER) : 0), "tsheap_state_stats(bad domain)");
    tr("stats: invalid arguments refused");
    return;
  }
  int drain = !(k & 2);
  if (drain)
    helper_drain();
  size_t bytes;
  int n = model_count(slot, d, &bytes);
  int pn = drain ? 0 : pending_count(slot, d);
  tsheap_status s = tsheap_state_stats(S[slot].st, (tsheap_domain)d, &ds);
  tr("stats slot %d domain %d (%s) -> %s: %zu blocks %zu bytes %llu allocations threshold %llu; model %d (+%d pending) "
     "%zu bytes, count %llu..%llu", slot, d, drain ? "drained" : "not drained", sname(s), ds.live_blocks, ds.live_bytes,
     (unsigned long long)ds.allocations, (unsigned long long)ds.threshold, n, pn, bytes,
     (unsigned long long)S[slot].cmin[d], (unsigned long long)S[slot].cmax[d]);
  EXPECT_STATUS(s, expect_state_domain(slot, d), "tsheap_state_stats");
  if (s != TSHEAP_OK)
    return;
  EXPECT(ds.live_blocks >= (size_t)n && ds.live_blocks <= (size_t)(n + pn),
         "stats of slot %d domain %d: live_blocks %zu, model %d (+%d handed to the helper)", slot, d, ds.live_blocks, n, pn);
  EXPECT(ds.live_bytes >= bytes, "stats of slot %d domain %d: live_bytes %zu < %zu requested", slot, d, ds.live_bytes, bytes);
  if (!FT && pn == 0) {
    size_t want = 0;
    for (int i = 0; i < nblk; i++)
      if (blk[i].slot == slot && blk[i].dom == d)
        want += gil_block_size(blk[i].size, blk[i].align);
    EXPECT(ds.live_bytes == want, "GIL build: stats of slot %d domain %d: live_bytes %zu, want %zu", slot, d,
           ds.live_bytes, want);
  }
  EXPECT(ds.allocations >= S[slot].cmin[d] && ds.allocations <= S[slot].cmax[d],
         "stats of slot %d domain %d (%s): allocations %llu, model %llu..%llu", slot, d,
         counted(d) ? "counted" : "not counted", (unsigned long long)ds.allocations,
         (unsigned long long)S[slot].cmin[d], (unsigned long long)S[slot].cmax[d]);
  /* pin the counter to what the library says */
  S[slot].cmin[d] = S[slot].cmax[d] = ds.allocations;
  EXPECT(ds.threshold == S[slot].thr[d], "stats of slot %d domain %d: threshold %llu, model %llu", slot, d,
         (unsigned long long)ds.threshold, (unsigned long long)S[slot].thr[d]);
}

static void op_counters(void)
{
  unsigned k = u8();
  int slot = pick_slot(1);
  int d = pick_domain();
  if (slot < 0)
    return;
  unsigned sub = k & 3;
  if (sub == 0 || sub == 1) {
    uint64_t t = (k & 4) ? (uint64_t)(u8() % 12) : (k & 8) ? UINT64_MAX : 0;
    tsheap_status s;
    if ((k & 0xf0) == 0xf0) {
      EXPECT_STATUS(tsheap_state_set_threshold(NULL, (tsheap_domain)d, t), BIT(TSHEAP_E_INVAL), "set_threshold(NULL)");
      s = tsheap_state_set_threshold(S[slot].st, (tsheap_domain)NDOM, t);
      EXPECT_STATUS(s, BIT(TSHEAP_E_DOMAIN) | (S[slot].orphan ? BIT(TSHEAP_E_NOT_OWNER) : 0), "set_threshold(bad domain)");
      return;
    }
    s = tsheap_state_set_threshold(S[slot].st, (tsheap_domain)d, t);
    tr("set_threshold(slot %d, domain %d, %llu) -> %s", slot, d, (unsigned long long)t, sname(s));
    EXPECT_STATUS(s, expect_state_domain(slot, d), "tsheap_state_set_threshold");
    if (s == TSHEAP_OK)
      S[slot].thr[d] = t;
  } else if (sub == 2) {
    tsheap_status s;
    if ((k & 0xf0) == 0xf0) {
      EXPECT_STATUS(tsheap_state_reset_count(NULL, (tsheap_domain)d), BIT(TSHEAP_E_INVAL), "reset_count(NULL)");
      s = tsheap_state_reset_count(S[slot].st, (tsheap_domain)-2);
      EXPECT_STATUS(s, BIT(TSHEAP_E_DOMAIN) | (S[slot].orphan ? BIT(TSHEAP_E_NOT_OWNER) : 0), "reset_count(bad domain)");
      return;
    }
    s = tsheap_state_reset_count(S[slot].st, (tsheap_domain)d);
    tr("reset_count(slot %d, domain %d) -> %s", slot, d, sname(s));
    EXPECT_STATUS(s, expect_state_domain(slot, d), "tsheap_state_reset_count");
    if (s == TSHEAP_OK)
      S[slot].cmin[d] = S[slot].cmax[d] = 0;
  } else {
    /* gc_due of the current state */
    int bad = (k & 0xf0) == 0xf0;
    tsheap_domain dd = bad ? (tsheap_domain)(NDOM + (k >> 2 & 3)) : (tsheap_domain)d;
    int got = call_gc_due(dd, k >> 4);
    tr("gc_due(domain %d) -> %d", (int)dd, got);
    EXPECT(got == 0 || got == 1, "tsheap_gc_due returned %d", got);
    if (bad || cur < 0) {
      EXPECT(got == 0, "tsheap_gc_due(domain %d) with %s returned %d", (int)dd, bad ? "a bad domain" : "no state", got);
      return;
    }
    uint64_t t = S[cur].thr[d];
    int lo = t != 0 && S[cur].cmin[d] >= t, hi = t != 0 && S[cur].cmax[d] >= t;
    EXPECT(got >= lo && got <= hi, "tsheap_gc_due(domain %d) = %d; model: counter %llu..%llu, threshold %llu", d, got,
           (unsigned long long)S[cur].cmin[d], (unsigned long long)S[cur].cmax[d], (unsigned long long)t);
  }
}

/* ---- lua heaps ---- */

static int pick_lua(void)
{
  unsigned k = u8();
  for (int i = 0; i < NLUA; i++) {
    int j = (int)((k + (unsigned)i) % NLUA);
    if (L[j].used_slot)
      return j;
  }
  return -1;
}

MODEL_LOOP static int pick_lua_block(int h)
{
  int n = 0;
  for (int i = 0; i < nblk; i++)
    n += blk[i].lua == h;
  if (n == 0)
    return -1;
  int want = (int)(u16() % (unsigned)n);
  for (int i = 0; i < nblk; i++)
    if (blk[i].lua == h && want-- == 0)
      return i;
  return -1;
}

static void check_lua_used(int h)
{
  size_t u = tsheap_lua_heap_used(L[h].h);
  EXPECT(u == L[h].used, "tsheap_lua_heap_used = %zu, model %zu", u, L[h].used);
}

/* Free a lua block through tsheap_lua_alloc(nsize 0). */
static void lua_free_block(int i, unsigned how)
{
  int h = blk[i].lua;
  check_block(&blk[i], "before lua_alloc frees it");
  void *r = call_lua_alloc(L[h].h, blk[i].p, blk[i].size, 0, how);
  EXPECT(r == NULL, "tsheap_lua_alloc(nsize 0) returned %p", r);
  L[h].used -= blk[i].size;
  remove_block(i);
  check_lua_used(h);
}

static void lua_destroy(int h, unsigned how)
{
  for (int i = nblk - 1; i >= 0; i--)
    if (blk[i].lua == h)
      lua_free_block(i, how);
  EXPECT_STATUS(tsheap_lua_heap_destroy(L[h].h), BIT(TSHEAP_OK), "tsheap_lua_heap_destroy of an empty heap");
  memset(&L[h], 0, sizeof L[h]);
}

/* The doc: close the lua_State and destroy the heap before its state or domain ends. */
static void lua_teardown(int slot, int d, unsigned how)
{
  for (int h = 0; h < NLUA; h++)
    if (L[h].used_slot && L[h].slot == slot && (d < 0 || L[h].dom == d))
      lua_destroy(h, how);
}

static void op_lua(void)
{
  unsigned k = u8();
  unsigned how = k >> 4;
  int h;
  switch (k % 6) {
  case 0: {
    int slot = pick_slot(1), d = pick_domain();
    size_t cap = (k & 8) ? 0 : 64 + (size_t)u16() * 8;
    int free_h = -1;
    for (int i = 0; i < NLUA; i++)
      if (!L[i].used_slot) { free_h = i; break; }
    if (slot < 0 || free_h < 0)
      return;
    tsheap_lua_heap *lh = NULL;
    if ((k & 0x70) == 0x70) {
      EXPECT_STATUS(tsheap_lua_heap_create(S[slot].st, (tsheap_domain)d, cap, NULL),
                    BIT(TSHEAP_E_INVAL) | (S[slot].orphan ? BIT(TSHEAP_E_NOT_OWNER) : 0), "lua_heap_create(NULL out)");
      EXPECT_STATUS(tsheap_lua_heap_create(NULL, (tsheap_domain)d, cap, &lh), BIT(TSHEAP_E_INVAL), "lua_heap_create(NULL)");
      EXPECT_STATUS(tsheap_lua_heap_create(S[slot].st, (tsheap_domain)NDOM, cap, &lh),
                    BIT(TSHEAP_E_DOMAIN) | (S[slot].orphan ? BIT(TSHEAP_E_NOT_OWNER) : 0), "lua_heap_create(bad domain)");
      EXPECT_STATUS(tsheap_lua_heap_destroy(NULL), BIT(TSHEAP_E_INVAL), "lua_heap_destroy(NULL)");
      EXPECT(tsheap_lua_heap_used(NULL) == 0, "tsheap_lua_heap_used(NULL) != 0");
      return;
    }
    tsheap_status s = tsheap_lua_heap_create(S[slot].st, (tsheap_domain)d, cap, &lh);
    tr("lua_heap_create(slot %d, domain %d, cap %zu) -> %s", slot, d, cap, sname(s));
    EXPECT_STATUS(s, expect_state_domain(slot, d), "tsheap_lua_heap_create");
    if (s != TSHEAP_OK)
      return;
    L[free_h] = (mlua){ lh, 1, slot, d, cap, 0 };
    check_lua_used(free_h);
    return;
  }
  case 1:
  case 2: {
    if ((h = pick_lua()) < 0 || !room_for_block())
      return;
    size_t nsize = gen_size();
    size_t tag = u8() % 9;   /* Lua 5.4 passes the type of a new object as osize */
    void *p = call_lua_alloc(L[h].h, NULL, tag, nsize, how);
    int refuse = nsize == 0 || (L[h].cap != 0 && nsize > L[h].cap - L[h].used);
    tr("lua_alloc(heap %d, NULL, %zu, %zu) -> %p (used %zu cap %zu)", h, tag, nsize, p, L[h].used, L[h].cap);
    if (refuse) {
      EXPECT(p == NULL, "tsheap_lua_alloc(NULL, %zu) past the cap (%zu used of %zu) or of size 0 gave %p", nsize,
             L[h].used, L[h].cap, p);
    } else {
      EXPECT(p != NULL, "tsheap_lua_alloc(NULL, %zu) within the cap failed", nsize);
      add_block(p, nsize, 1, L[h].slot, L[h].dom, 0, "lua_alloc", how);
      blk[nblk - 1].lua = h;
      L[h].used += nsize;
      count_alloc(L[h].slot, L[h].dom, 1, 0);
    }
    check_lua_used(h);
    return;
  }
  case 3:
  case 4: {
    if ((h = pick_lua()) < 0)
      return;
    int i = pick_lua_block(h);
    if (i < 0)
      return;
    if (k % 6 == 4) {
      tr("lua_alloc(heap %d, %p, %zu, 0)", h, (void *)blk[i].p, blk[i].size);
      lua_free_block(i, how);
      return;
    }
    mblock old = blk[i];
    size_t nsize = gen_size();
    if (nsize == 0)
      nsize = 1;
    check_block(&old, "before lua_alloc resizes it");
    void *p = call_lua_alloc(L[h].h, old.p, old.size, nsize, how);
    int refuse = nsize > old.size && L[h].cap != 0 && nsize - old.size > L[h].cap - L[h].used;
    tr("lua_alloc(heap %d, %p, %zu, %zu) -> %p (used %zu cap %zu)", h, (void *)old.p, old.size, nsize, p, L[h].used,
       L[h].cap);
    if (refuse) {
      EXPECT(p == NULL, "tsheap_lua_alloc growing past the cap gave %p", p);
      check_block(&blk[i], "after a refused lua_alloc");
    } else {
      EXPECT(p != NULL, "tsheap_lua_alloc(%p, %zu -> %zu) failed", (void *)old.p, old.size, nsize);
      size_t keep = old.size < nsize ? old.size : nsize;
      if (keep && memcmp(p, pattern + old.seed, keep) != 0)
        FAIL("tsheap_lua_alloc(%p, %zu -> %zu) = %p lost the contents", (void *)old.p, old.size, nsize, p);
      remove_block(i);
      add_block(p, nsize, 1, L[h].slot, L[h].dom, 0, "lua_alloc (resize)", how);
      blk[nblk - 1].lua = h;
      L[h].used = L[h].used - old.size + nsize;
    }
    check_lua_used(h);
    return;
  }
  default: {
    if ((h = pick_lua()) < 0)
      return;
    if (L[h].used != 0 && !(k & 8)) {
      EXPECT_STATUS(tsheap_lua_heap_destroy(L[h].h), BIT(TSHEAP_E_INVAL), "tsheap_lua_heap_destroy of a heap in use");
      tr("lua_heap_destroy(heap %d) in use: refused", h);
      return;
    }
    tr("lua_heap_destroy(heap %d)", h);
    lua_destroy(h, how);
    return;
  }
  }
}

/* Free-threaded: releasing a discardable domain with live blocks retires its
 * arena for good.  Past the budget, free its blocks first. */
static void before_release(int slot, int d, unsigned how)
{
  if (!FT || !(S[slot].disc & BIT(d)) || !(S[slot].open & BIT(d)))
    return;
  if (pending_count(slot, d))
    helper_drain();   /* what heap_is_empty finds must not depend on the helper's timing */
  int n = model_count(slot, d, NULL);
  if (n == 0)
    return;
  if (retired < RETIRE_BUDGET) {
    retired++;
    return;
  }
  for (int i = nblk - 1; i >= 0; i--)
    if (blk[i].slot == slot && blk[i].dom == d)
      free_block(i, how, "before a release past the arena budget");
}

static void released(int slot, int d)
{
  for (int i = 0; i < nblk; i++)
    if (blk[i].slot == slot && blk[i].dom == d)
      blk[i].slot = -1;
  for (int i = 0; i < npend; i++)
    if (pend[i].slot == slot && pend[i].dom == d)
      pend[i].slot = -1;
}

static void op_end_domain(void)
{
  unsigned k = u8();
  int slot = pick_slot(1);
  int d = pick_domain();
  if (slot < 0)
    return;
  mstate *m = &S[slot];
  if ((k & 0xf0) == 0xf0) {
    EXPECT_STATUS(tsheap_state_end_domain(NULL, (tsheap_domain)d, TSHEAP_END_MODE_RELEASE), BIT(TSHEAP_E_INVAL),
                  "end_domain(NULL state)");
    EXPECT_STATUS(tsheap_state_end_domain(m->st, (tsheap_domain)(NDOM + (k & 3)), TSHEAP_END_MODE_DISCARD),
                  BIT(TSHEAP_E_DOMAIN) | (m->orphan ? BIT(TSHEAP_E_NOT_OWNER) : 0), "end_domain(bad domain)");
    EXPECT_STATUS(tsheap_state_end_domain(m->st, (tsheap_domain)d, (tsheap_end_mode)(2 + (k & 3))),
                  BIT(TSHEAP_E_INVAL) | (m->orphan ? BIT(TSHEAP_E_NOT_OWNER) : 0), "end_domain(bad mode)");
    EXPECT_STATUS(tsheap_state_end_domain(m->st, (tsheap_domain)d, (tsheap_end_mode)-1),
                  BIT(TSHEAP_E_INVAL) | (m->orphan ? BIT(TSHEAP_E_NOT_OWNER) : 0), "end_domain(mode -1)");
    tr("end_domain: invalid arguments refused");
    return;
  }
  int discard = k & 1;
  /* mostly valid combinations: prefer discard where allowed */
  if ((k & 6) == 0 && (m->disc & BIT(d)))
    discard = 1;
  unsigned want;
  if (m->orphan)
    want = BIT(TSHEAP_E_NOT_OWNER);
  else if (!(m->open & BIT(d)))
    want = BIT(TSHEAP_E_ENDED);
  else if (discard && !(m->disc & BIT(d)))
    want = BIT(TSHEAP_E_NOT_DISCARDABLE);
  else
    want = BIT(TSHEAP_OK);
  if (want == BIT(TSHEAP_OK)) {
    lua_teardown(slot, d, k);
    if (discard && pending_count(slot, d))
      helper_drain();   /* the helper must not free into a destroyed heap */
    if (!discard)
      before_release(slot, d, k >> 3);
  }
  tsheap_status s = tsheap_state_end_domain(m->st, (tsheap_domain)d, discard ? TSHEAP_END_MODE_DISCARD : TSHEAP_END_MODE_RELEASE);
  tr("end_domain(slot %d, domain %d, %s) -> %s (%d blocks)", slot, d, discard ? "discard" : "release", sname(s),
     model_count(slot, d, NULL));
  EXPECT_STATUS(s, want, discard ? "tsheap_state_end_domain(discard)" : "tsheap_state_end_domain(release)");
  if (s != TSHEAP_OK) {
    check_all("after a refused end_domain");
    return;
  }
  m->open &= ~BIT(d);
  if (discard) {
    for (int i = nblk - 1; i >= 0; i--)
      if (blk[i].slot == slot && blk[i].dom == d)
        remove_block(i);
    check_all("after a discard");
  } else {
    released(slot, d);
  }
  /* the ended domain refuses */
  void *out = NULL;
  EXPECT_STATUS(tsheap_state_malloc(m->st, (tsheap_domain)d, 8, &out), BIT(TSHEAP_E_ENDED), "state_malloc after end_domain");
  EXPECT_STATUS(tsheap_state_end_domain(m->st, (tsheap_domain)d, TSHEAP_END_MODE_RELEASE), BIT(TSHEAP_E_ENDED),
                "end_domain of an ended domain");
  if (cur == slot) {
    poison_last_error();
    void *p = call_alloc(F_MALLOC, (tsheap_domain)d, 8, 0, NULL, k >> 4);
    EXPECT(p == NULL, "allocation from an ended domain succeeded");
    EXPECT_STATUS(tsheap_last_error(), BIT(TSHEAP_E_ENDED), "last_error after an allocation from an ended domain");
  }
}

static void end_state(int slot, unsigned how)
{
  mstate *m = &S[slot];
  lua_teardown(slot, -1, how);
  if (!m->orphan)
    for (int d = 0; d < NDOM; d++)
      before_release(slot, d, how);
  tsheap_status s = tsheap_state_end(m->st);
  tr("end state slot %d%s -> %s", slot, m->orphan ? " (orphan)" : "", sname(s));
  EXPECT_STATUS(s, BIT(TSHEAP_OK), "tsheap_state_end");
  for (int d = 0; d < NDOM; d++)
    released(slot, d);
  memset(m, 0, sizeof *m);
  if (cur == slot)
    cur = -1;
}

static void op_end_state(void)
{
  unsigned k = u8();
  if ((k & 31) == 31) {
    EXPECT_STATUS(tsheap_state_end(NULL), BIT(TSHEAP_E_INVAL), "tsheap_state_end(NULL)");
    return;
  }
  int slot = pick_slot(1);
  if (slot < 0)
    return;
  end_state(slot, k);
  check_current();
  if (cur < 0) {
    poison_last_error();
    void *p = call_alloc(F_MALLOC, TSHEAP_DOMAIN_DEFAULT, 8, 0, NULL, k >> 5);
    EXPECT(p == NULL, "allocation with no current state succeeded");
    EXPECT_STATUS(tsheap_last_error(), BIT(TSHEAP_E_NOSTATE), "last_error with no current state");
  }
}

/* A call from the helper thread on a state it does not own. */
static void op_probe(void)
{
  unsigned k = u8();
  int slot = pick_slot(0);
  int probe = (int)(k % PR_COUNT);
  int d = pick_domain();
  if (slot < 0 && probe != PR_NOSTATE)
    return;
  cmd c = { .kind = CMD_PROBE, .st = slot >= 0 ? S[slot].st : NULL, .d = d, .probe = probe };
  helper_push(&c);
  helper_drain();
  tr("helper: %s(slot %d, domain %d) -> %s / %ld", prname[probe], slot, d, sname((tsheap_status)H.result), H.result2);
  if (probe == PR_OWNED) {
    EXPECT(H.result2 == 0, "tsheap_state_owned on another thread's state returned %ld", H.result2);
  } else if (probe == PR_NOSTATE) {
    EXPECT(H.result_p == NULL, "tsheap_malloc on a thread without a state succeeded");
    EXPECT_STATUS((tsheap_status)H.result, BIT(TSHEAP_E_NOSTATE), "last_error on a thread without a state");
    EXPECT(H.result2 == 0, "a thread without a state: gc_due | current != NULL << 1 = %ld", H.result2);
  } else {
    EXPECT_STATUS((tsheap_status)H.result, BIT(TSHEAP_E_NOT_OWNER), prname[probe]);
  }
}

/* ---- threads that create a state and exit ---- */

typedef struct {
  unsigned mask;
  tsheap_status want_create, got_create;
  tsheap_state *st;
  int n;
  struct { int d, fn; size_t size; uint32_t seed; void *p; tsheap_status s; } a[8];
  int end_d, end_discard;
  tsheap_status got_end_d, got_end;
  int end_self, detach;
} oplan;

static void *orphan_main(void *arg)
{
  oplan *o = arg;
  o->got_create = tsheap_state_create(o->mask, &o->st);
  if (o->got_create != TSHEAP_OK)
    return NULL;
  for (int i = 0; i < o->n; i++) {
    void *p = NULL;
    switch (o->a[i].fn) {
    case 0:
#if FT
      p = tsheap_malloc((tsheap_domain)o->a[i].d, o->a[i].size);
#else
      p = tsheap_malloc_nogil((tsheap_domain)o->a[i].d, o->a[i].size);
#endif
      o->a[i].s = p ? TSHEAP_OK : tsheap_last_error();
      break;
    case 1:
#if FT
      p = tsheap_zalloc((tsheap_domain)o->a[i].d, o->a[i].size);
#else
      p = tsheap_zalloc_nogil((tsheap_domain)o->a[i].d, o->a[i].size);
#endif
      o->a[i].s = p ? TSHEAP_OK : tsheap_last_error();
      if (p)
        for (size_t j = 0; j < o->a[i].size; j++)
          if (((unsigned char *)p)[j] != 0)
            o->a[i].s = TSHEAP_E_INVAL;   /* reported by the main thread */
      break;
    default:
      o->a[i].s = tsheap_state_malloc(o->st, (tsheap_domain)o->a[i].d, o->a[i].size, &p);
      break;
    }
    if (p)
      memcpy(p, pattern + o->a[i].seed, o->a[i].size);
    o->a[i].p = p;
  }
  if (o->end_d >= 0)
    o->got_end_d = tsheap_state_end_domain(o->st, (tsheap_domain)o->end_d,
                                           o->end_discard ? TSHEAP_END_MODE_DISCARD : TSHEAP_END_MODE_RELEASE);
  if (o->end_self)
    o->got_end = tsheap_state_end(o->st);
  else if (o->detach)
    tsheap_state_switch(NULL);
  return NULL;   /* the exit hook releases what is still open */
}

static void op_orphan_thread(void)
{
  static oplan o;
  unsigned k = u8();
  memset(&o, 0, sizeof o);
  o.mask = u8() & TSHEAP_DOMAIN_ALL;
  o.want_create = FT && arenas_lent() + retired + popcount(o.mask) > ARENA_LIMIT ? TSHEAP_E_LIMIT : TSHEAP_OK;
  o.n = (int)(k % 9);
  size_t planned = 0;
  o.end_d = (k & 0x10) ? pick_domain() : -1;
  o.end_discard = o.end_d >= 0 && (o.mask & BIT(o.end_d)) && (k & 0x20);
  for (int i = 0; i < o.n; i++) {
    o.a[i].d = pick_domain();
    o.a[i].fn = (int)(u8() % 3);
    o.a[i].size = gen_size();
    if (FT && (o.mask & BIT(o.a[i].d)) && !(o.end_discard && o.end_d == o.a[i].d)) {
      /* Free-threaded: a thread that exits with live blocks in a discardable
       * domain retires its arena; keep those domains empty, unless the thread
       * discards the domain first (its arena is then lent again, maybe to
       * another thread). */
      o.a[i].d = -1;
      for (int d = 0; d < NDOM; d++)
        if (!(o.mask & BIT(d)))
          o.a[i].d = d;
    }
    planned += o.a[i].size;
    if (o.a[i].d < 0 || nblk + i >= MAX_BLOCKS || live_bytes + planned > MAX_LIVE_BYTES) {
      o.n = i;
      break;
    }
    o.a[i].seed = new_seed();
  }
  int slot = -1;
  for (int i = 0; i < NSLOTS; i++)
    if (!S[i].used) { slot = i; break; }
  o.end_self = slot < 0 || (k & 0x40);
  o.detach = (k & 0x80) != 0;

  gil_drop();
  helper_drain();
  pthread_t th;
  if (pthread_create(&th, NULL, orphan_main, &o) != 0)
    FAIL("pthread_create failed");
  pthread_join(th, NULL);
  tr("thread: create mask %u -> %s, %d allocations, end domain %d (%s) -> %s, %s", o.mask, sname(o.got_create), o.n,
     o.end_d, o.end_discard ? "discard" : "release", sname(o.got_end_d), o.end_self ? "ended its state" : "exited");
  EXPECT_STATUS(o.got_create, BIT(o.want_create), "tsheap_state_create on a new thread");
  if (o.got_create != TSHEAP_OK)
    return;
  for (int i = 0; i < o.n; i++) {
    EXPECT(o.a[i].s != TSHEAP_E_INVAL || o.a[i].fn != 1, "tsheap_zalloc on a new thread returned a block not zeroed");
    EXPECT_STATUS(o.a[i].s, BIT(TSHEAP_OK), "allocation on a new thread");
    if (o.end_d == o.a[i].d && o.end_discard)
      continue;   /* freed by the discard */
    if (o.a[i].size && memcmp(o.a[i].p, pattern + o.a[i].seed, o.a[i].size) != 0)
      FAIL("block %p (size %zu) allocated by a thread that exited lost its contents", o.a[i].p, o.a[i].size);
    add_block(o.a[i].p, o.a[i].size, 1, -1, o.a[i].d, 0, "an allocation on a thread that exited", 0);
  }
  if (o.end_d >= 0)
    EXPECT_STATUS(o.got_end_d, BIT(TSHEAP_OK), "end_domain on a new thread");
  check_all("after a thread exited");
  if (o.end_self) {
    EXPECT_STATUS(o.got_end, BIT(TSHEAP_OK), "tsheap_state_end on its own thread");
    return;
  }
  EXPECT(tsheap_state_owned(o.st) == 0, "tsheap_state_owned(state of an exited thread) != 0");
  memset(&S[slot], 0, sizeof S[slot]);
  S[slot].st = o.st;
  S[slot].used = 1;
  S[slot].orphan = 1;
  S[slot].disc = o.mask;
  S[slot].open = 0;
  check_current();
}

/* ---- absurd arguments ---- */

static void op_errors(void)
{
  unsigned k = u8();
  int d = pick_domain();
  unsigned how = u8();
  tsheap_status want = expect_current_alloc(d);
  void *p;
  switch (k % 8) {
  case 0: {
    size_t al = (k & 8) ? 0 : (k & 16) ? 24 : 3 + ((size_t)u8() << 4);
    if (al && (al & (al - 1)) == 0)
      al = 3;
    poison_last_error();
    p = call_alloc(F_ALIGNED, (tsheap_domain)d, 64, al, NULL, how);
    tr("malloc_aligned(domain %d, 64, %zu) -> %p %s", d, al, p, sname(tsheap_last_error()));
    EXPECT(p == NULL, "tsheap_malloc_aligned with alignment %zu succeeded", al);
    EXPECT_STATUS(tsheap_last_error(), BIT(want == TSHEAP_OK ? TSHEAP_E_INVAL : want), "last_error after a bad alignment");
    break;
  }
  case 1:
  case 2: {
    size_t count = (SIZE_MAX >> 1) + 1 + u8(), size = 2 + (k >> 4);
    int fn = (k % 8) == 1 ? F_MALLOCN : F_CALLOC;
    if (k & 8) { size_t t = count; count = size; size = t; }
    poison_last_error();
    p = call_alloc(fn, (tsheap_domain)d, count, size, NULL, how);
    tr("%s(domain %d, %zu, %zu) -> %p %s", fname[fn], d, count, size, p, sname(tsheap_last_error()));
    EXPECT(p == NULL, "tsheap_%s that overflows succeeded", fname[fn]);
    EXPECT_STATUS(tsheap_last_error(), BIT(want == TSHEAP_OK ? TSHEAP_E_OVERFLOW : want), "last_error after an overflow");
    break;
  }
  case 3: {
    int slot = pick_slot(1);
    if (slot < 0)
      break;
    void *out = NULL;
    tsheap_status s = tsheap_state_calloc(S[slot].st, (tsheap_domain)d, SIZE_MAX / 3, 4 + (k >> 5), &out);
    tr("state_calloc(slot %d, domain %d, overflow) -> %s", slot, d, sname(s));
    unsigned w = expect_state_domain(slot, d);
    EXPECT_STATUS(s, w == BIT(TSHEAP_OK) ? BIT(TSHEAP_E_OVERFLOW) : w, "tsheap_state_calloc that overflows");
    break;
  }
  case 4: {
    /* sizes no allocator can give: NULL, last_error set, maybe counted */
    static const size_t huge[4] = { SIZE_MAX, SIZE_MAX - 15, (SIZE_MAX >> 1) + 1, SIZE_MAX - 4096 };
    size_t size = huge[(k >> 3) & 3];
    int fn = (int)((k >> 5) % 4);   /* malloc, zalloc, mallocn (1 x size), calloc */
    poison_last_error();
    p = call_alloc(fn, (tsheap_domain)d, fn >= F_MALLOCN ? 1 : size, fn >= F_MALLOCN ? size : 0, NULL, how);
    tsheap_status le = tsheap_last_error();
    tr("%s(domain %d, %zu) -> %p %s", fname[fn], d, size, p, sname(le));
    EXPECT(p == NULL, "tsheap_%s(%zu) succeeded", fname[fn], size);
    if (want == TSHEAP_OK) {
      EXPECT_STATUS(le, BIT(TSHEAP_E_NOMEM) | BIT(TSHEAP_E_OVERFLOW), "last_error after an impossible allocation");
      count_alloc(cur, d, 0, 1);
    } else {
      EXPECT_STATUS(le, BIT(want), "last_error after an impossible allocation");
    }
    break;
  }
  case 5: {
    /* realloc to an impossible size leaves the block alone */
    int i = pick_block();
    if (i < 0 || blk[i].lua >= 0)
      break;
    size_t size = (k & 8) ? SIZE_MAX - 64 : (SIZE_MAX >> 1) + 1;
    check_block(&blk[i], "before realloc");
    poison_last_error();
    p = call_alloc(F_REALLOC, (tsheap_domain)d, size, 0, blk[i].p, how);
    tsheap_status le = tsheap_last_error();
    tr("realloc(domain %d, %p, %zu) -> %p %s", d, (void *)blk[i].p, size, p, sname(le));
    EXPECT(p == NULL, "tsheap_realloc(%zu) succeeded", size);
    if (want == TSHEAP_OK) {
      EXPECT_STATUS(le, BIT(TSHEAP_E_NOMEM) | BIT(TSHEAP_E_OVERFLOW), "last_error after an impossible realloc");
      count_alloc(cur, d, 0, 1);
    } else {
      EXPECT_STATUS(le, BIT(want), "last_error after an impossible realloc");
    }
    check_block(&blk[i], "after a failed realloc");
    break;
  }
  case 6: {
    /* a domain out of range on the current state's paths */
    tsheap_domain bad = (k & 8) ? (tsheap_domain)-1 : (tsheap_domain)(NDOM + (k >> 4));
    int fn = (int)(how % F_COUNT);
    p = call_alloc(fn, bad, 16, fn == F_ALIGNED ? 16 : 1, NULL, how >> 3);
    tsheap_status le = tsheap_last_error();
    tr("%s(domain %d) -> %p %s", fname[fn], (int)bad, p, sname(le));
    EXPECT(p == NULL, "tsheap_%s(domain %d) succeeded", fname[fn], (int)bad);
    EXPECT_STATUS(le, BIT(TSHEAP_E_DOMAIN) | (cur < 0 ? BIT(TSHEAP_E_NOSTATE) : 0), "last_error after a bad domain");
    break;
  }
  default: {
    /* what never fails */
    EXPECT(tsheap_loaded_build() == (FT ? TSHEAP_BUILD_FREE_THREADED : TSHEAP_BUILD_GIL), "tsheap_loaded_build");
    EXPECT(tsheap_abi() == TSHEAP_ABI, "tsheap_abi");
    EXPECT(strcmp(tsheap_version(), TSHEAP_VERSION) == 0, "tsheap_version");
    tsheap_status s = (tsheap_status)(int)(int8_t)u8();
    const char *msg = tsheap_strerror(s);
    EXPECT(msg != NULL, "tsheap_strerror(%d) = NULL", (int)s);
    if ((unsigned)s >= TSHEAP_STATUS_COUNT)
      EXPECT(strcmp(msg, "unknown status code") == 0, "tsheap_strerror(%d) = \"%s\"", (int)s, msg);
    EXPECT(tsheap_state_owned(NULL) == 0, "tsheap_state_owned(NULL)");
    for (int i = 0; i < NSLOTS; i++)
      if (S[i].used)
        EXPECT(tsheap_state_owned(S[i].st) == !S[i].orphan, "tsheap_state_owned(slot %d)", i);
    break;
  }
  }
}

static void op_block_size(void)
{
  unsigned how = u8();
  int i = pick_block();
  if (i < 0)
    return;
  size_t bs = call_block_size(blk[i].p, how);
  EXPECT(bs >= blk[i].size, "tsheap_block_size(%p) = %zu < %zu", (void *)blk[i].p, bs, blk[i].size);
  if (!FT)
    EXPECT(bs == gil_block_size(blk[i].size, blk[i].align), "GIL build: tsheap_block_size(%p) = %zu, want %zu",
           (void *)blk[i].p, bs, gil_block_size(blk[i].size, blk[i].align));
  check_block(&blk[i], "at tsheap_block_size");
}

static void op_gil(void)
{
#if FT
  (void)u8();
  check_all("at a check");
#else
  unsigned k = u8();
  switch (k % 4) {
  case 0:
    EXPECT_STATUS(tsheap_gil_acquire(), BIT(gil_held_model ? TSHEAP_E_GIL : TSHEAP_OK), "tsheap_gil_acquire");
    gil_held_model = 1;
    break;
  case 1:
    EXPECT_STATUS(tsheap_gil_release(), BIT(gil_held_model ? TSHEAP_OK : TSHEAP_E_GIL), "tsheap_gil_release");
    gil_held_model = 0;
    break;
  default:
    EXPECT(tsheap_gil_held() == gil_held_model, "tsheap_gil_held() = %d, model %d", tsheap_gil_held(), gil_held_model);
    break;
  }
  tr("gil: held %d", gil_held_model);
#endif
}

/* ------------------------------------------------------------------ */
/* one input                                                           */

#if FT
/* After every state ended, every arena that is not retired can be lent again,
 * and no more: exactly ARENA_LIMIT - retired discardable domains can be
 * created.  Fewer means an arena leaked during this input; more means a
 * release with live blocks gave its arena back for reuse. */
static void arena_audit(void)
{
  int need = ARENA_LIMIT - retired, got = 0, n = 0;
  tsheap_state *tmp[ARENA_LIMIT / 3 + 2];
  tsheap_status s = TSHEAP_OK, extra = TSHEAP_OK;
  while (got < need) {
    int k = need - got >= 3 ? 3 : need - got;
    s = tsheap_state_create((1u << k) - 1, &tmp[n]);
    if (s != TSHEAP_OK)
      break;
    n++;
    got += k;
  }
  tsheap_state *x = NULL;
  if (s == TSHEAP_OK)
    extra = tsheap_state_create(TSHEAP_DOMAIN_BIT(0), &x);
  for (int i = 0; i < n; i++)
    EXPECT_STATUS(tsheap_state_end(tmp[i]), BIT(TSHEAP_OK), "arena audit: tsheap_state_end");
  if (x != NULL && extra == TSHEAP_OK)
    EXPECT_STATUS(tsheap_state_end(x), BIT(TSHEAP_OK), "arena audit: tsheap_state_end");
  EXPECT(s == TSHEAP_OK, "after every state ended, only %d of the %d arenas not retired could be lent (%s): an arena "
         "leaked during this input", got, need, sname(s));
  EXPECT(extra == TSHEAP_E_LIMIT, "with %d arenas lent and %d retired, one more discardable domain gave %s, not "
         "E_LIMIT: a release that left live blocks gave its arena back", need, retired, sname(extra));
}
#endif

static void cleanup(void)
{
  opname = "cleanup";
  gil_drop();
  helper_stop();
  /* discard what may be discarded, then end every state */
  for (int s = 0; s < NSLOTS; s++) {
    if (!S[s].used)
      continue;
    lua_teardown(s, -1, (unsigned)s);
    if (!S[s].orphan)
      for (int d = 0; d < NDOM; d++)
        if ((S[s].open & S[s].disc & BIT(d))) {
          EXPECT_STATUS(tsheap_state_end_domain(S[s].st, (tsheap_domain)d, TSHEAP_END_MODE_DISCARD), BIT(TSHEAP_OK),
                        "cleanup: discard");
          S[s].open &= ~BIT(d);
          for (int i = nblk - 1; i >= 0; i--)
            if (blk[i].slot == s && blk[i].dom == d)
              remove_block(i);
        }
    end_state(s, 1);
  }
  check_all("at cleanup");
  check_current();
  EXPECT(tsheap_state_current() == NULL, "a current state is left after every state ended");
  for (int i = nblk - 1; i >= 0; i--)
    free_block(i, (unsigned)i, "at cleanup");
  EXPECT(live_bytes == 0, "model: %zu bytes left", live_bytes);
#if FT && !defined(TSHEAP_FUZZ_NO_AUDIT)
  arena_audit();
#endif
#ifdef HAVE_SMALL_TOTALS
  small_totals t;
  tsheap_gil_acquire();
  small_get_totals(&t);
  tsheap_gil_release();
  EXPECT(t.pools_used == 0 && t.orphan_blocks == 0,
         "GIL build: after every block was freed and every state ended, the small-block regions hold %zu used pools and %zu "
         "blocks of released owners", t.pools_used, t.orphan_blocks);
#endif
}

typedef void (*opfn)(void);
static const struct { opfn fn; const char *name; } ops[] = {
  { op_create, "create" },         { op_switch, "switch" },        { op_alloc, "alloc" },
  { op_alloc, "alloc" },           { op_alloc, "alloc" },          { op_alloc, "alloc" },
  { op_state_alloc, "state_alloc" }, { op_state_alloc, "state_alloc" }, { op_realloc, "realloc" },
  { op_realloc, "realloc" },       { op_free, "free" },            { op_free, "free" },
  { op_free_remote, "free_remote" }, { op_free_remote, "free_remote" }, { op_visit, "visit" },
  { op_visit, "visit" },           { op_stats, "stats" },          { op_stats, "stats" },
  { op_counters, "counters" },     { op_counters, "counters" },    { op_end_domain, "end_domain" },
  { op_end_domain, "end_domain" }, { op_end_state, "end_state" },  { op_create, "create" },
  { op_probe, "probe" },           { op_orphan_thread, "thread" }, { op_errors, "errors" },
  { op_errors, "errors" },         { op_block_size, "block_size" }, { op_gil, "gil" },
  { op_bulk_alloc, "bulk_alloc" }, { op_bulk_free, "bulk_free" }, { op_lua, "lua" },
  { op_lua, "lua" },
};
#define NOPS (sizeof ops / sizeof ops[0])

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  uint64_t x = 0x9e3779b97f4a7c15u;
  for (size_t i = 0; i < PATTERN_LEN; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    pattern[i] = (unsigned char)(x >> 24) | 1;   /* never zero: zeroing shows */
  }
  const char *t = getenv("TSHEAP_FUZZ_TRACE");
  trace = t != NULL && *t && *t != '0';
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  in_p = data;
  in_n = size;
  nblk = 0;
  npend = 0;
  live_bytes = 0;
  next_seed = 0;
  cur = -1;
  memset(S, 0, sizeof S);
  memset(L, 0, sizeof L);
  opno = 0;
  opname = "start";
  EXPECT(tsheap_state_current() == NULL, "a state is current at the start of an input");
  helper_start();
  while (in_n > 0 && opno < MAX_OPS) {
    opno++;
    unsigned o = u8() % NOPS;
    opname = ops[o].name;
    ops[o].fn();
    check_current();
  }
  cleanup();
  return 0;
}
