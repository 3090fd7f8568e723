/* layout.c - checks mimalloc 2.0.9's layout as the header has it against
 * the mimalloc this process runs, and answers series_fast_thread.
 *
 * The header's inline paths pop and push blocks on mimalloc's page free
 * lists through numbers written by hand for mimalloc 2.0.9
 * (tsheap_fast_series.h beside this file).  Before a thread may use them, a probe on a heap
 * of its own asks mimalloc for blocks and watches each number do what the
 * inline paths take it to do: the heap's direct page serves the next block,
 * the page's free list and count move as a pop moves them, mi_free pushes
 * onto the local list as a push does, a page with no free block goes to the
 * full queue (flags), and the segment names the calling thread.  A mimalloc
 * of another version is refused before anything is read; the segment size
 * is the one number the probe cannot check without trusting it (it finds the
 * segment), and 2.0.9 has one.
 */
#include <mimalloc.h>
#include <stdatomic.h>
#include <string.h>
#include <tsheap/tsheap.h>

#include "layout.h"
#include "series.h"

#define PROBE_MAX 256    /* blocks the probe may take: a page of 1024 B holds 64 */
#define SEGMENT_HEAD 65536   /* a segment's first slice: header and page records */

const fast_layout fast_layout_header = {
  .small_max = tsheap__mi_small_max,
  .direct_offset = tsheap__mi_direct_offset,
  .segment_shift = tsheap__mi_segment_shift,
  .slice_shift = tsheap__mi_slice_shift,
  .thread_offset = tsheap__mi_thread_offset,
  .slices_offset = tsheap__mi_slices_offset,
  .page_size = sizeof(tsheap__mi_page),
  .page_slice_offset = offsetof(tsheap__mi_page, slice_offset),
  .page_flags = offsetof(tsheap__mi_page, flags),
  .page_free = offsetof(tsheap__mi_page, free),
  .page_used = offsetof(tsheap__mi_page, used),
  .page_block_size = offsetof(tsheap__mi_page, block_size),
  .page_local_free = offsetof(tsheap__mi_page, local_free),
};

static uintptr_t thread_value(void)
{
#if defined(__x86_64__)
  return (uintptr_t)__builtin_thread_pointer();   /* mimalloc's _mi_thread_id there */
#else
  return 0;
#endif
}

/* The probe reads mimalloc's records from instrumented code, which under
 * ThreadSanitizer looks like a race once mimalloc hands the segment to
 * another thread (its synchronization is in the uninstrumented library). */
#define UNSEEN __attribute__((no_sanitize("thread")))

UNSEEN static uintptr_t word(const void *base, size_t offset)
{
  uintptr_t w;
  memcpy(&w, (const char *)base + offset, sizeof w);
  return w;
}

UNSEEN static uint32_t word32(const void *base, size_t offset)
{
  uint32_t w;
  memcpy(&w, (const char *)base + offset, sizeof w);
  return w;
}

UNSEEN static uint8_t byte(const void *base, size_t offset)
{
  return ((const uint8_t *)base)[offset];
}

/* Numbers that keep every read inside the heap record (3 KiB in 2.0.9), a
 * segment's first slice, or a page record. */
static int plausible(const fast_layout *l)
{
  size_t page_end = l->page_local_free + sizeof(void *);
  return l->small_max % 8 == 0 && l->small_max <= 2048 && l->direct_offset <= 64 &&
         l->slice_shift >= 12 && l->slice_shift < l->segment_shift && l->segment_shift <= 30 &&
         l->thread_offset <= 4096 && l->slices_offset <= 4096 &&
         l->page_size >= page_end && l->page_size <= 256 &&
         l->page_slice_offset + 4 <= l->page_size && l->page_flags < l->page_size &&
         l->page_free + sizeof(void *) <= l->page_size && l->page_used + 4 <= l->page_size &&
         l->page_block_size + 4 <= l->page_size;
}

static uintptr_t segment_of(const fast_layout *l, const void *p)
{
  return (uintptr_t)p & ~(((uintptr_t)1 << l->segment_shift) - 1);
}

/* The page record a block lives on, as the inline free finds it; NULL when
 * the numbers lead out of the segment's first slice (its header and page
 * records, committed with it) or the back offset to no record. */
static const char *page_of(const fast_layout *l, const void *block)
{
  uintptr_t segment = segment_of(l, block);
  size_t at = l->slices_offset + (((uintptr_t)block - segment) >> l->slice_shift) * l->page_size;
  if (at + l->page_size > SEGMENT_HEAD)
    return NULL;
  size_t back = word32((const char *)segment, at + l->page_slice_offset);
  if (back > at - l->slices_offset || back % l->page_size != 0)
    return NULL;
  return (const char *)segment + at - back;
}

static const char *direct_page(const fast_layout *l, const mi_heap_t *heap, size_t size)
{
  return (const char *)word(heap, l->direct_offset + (size + 7) / 8 * sizeof(void *));
}

struct probe {
  const fast_layout *l;
  mi_heap_t *heap;
  int n, no_memory;
  void *taken[PROBE_MAX];
};

/* NULL when mimalloc has no memory, or the probe took all it may. */
static void *take(struct probe *p, size_t size)
{
  if (p->n == PROBE_MAX)
    return NULL;
  void *b = mi_heap_malloc(p->heap, size);
  if (b == NULL)
    p->no_memory = 1;
  else
    p->taken[p->n++] = b;
  return b;
}

/* The heap's direct page for a size serves the next block as a pop would.
 * Each pointer is checked against the page records before it is read. */
static int pop_agrees(struct probe *p, size_t size)
{
  const fast_layout *l = p->l;
  for (int tries = 0; tries < 8; tries++) {
    void *last = take(p, size);
    const char *page = last != NULL ? page_of(l, last) : NULL;
    if (page == NULL || direct_page(l, p->heap, size) != page || word32(page, l->page_block_size) != size)
      return 0;
    void *first = (void *)word(page, l->page_free);
    if (first == NULL)
      continue;   /* mimalloc extends a page's list a few blocks at a time */
    if (segment_of(l, first) != segment_of(l, last) || page_of(l, first) != page)
      return 0;
    uintptr_t next = word(first, 0);
    uint32_t used = word32(page, l->page_used);
    return take(p, size) == first && word(page, l->page_free) == next &&
           word32(page, l->page_used) == used + 1;
  }
  return 0;
}

/* mi_free of the last block taken does what a push would. */
static int push_agrees(struct probe *p)
{
  const fast_layout *l = p->l;
  void *b = p->taken[--p->n];
  const char *page = page_of(l, b);
  if (page == NULL || word((void *)segment_of(l, b), l->thread_offset) != thread_value() ||
      byte(page, l->page_flags) != 0 || word32(page, l->page_used) < 2)
    return 0;
  uintptr_t local = word(page, l->page_local_free);
  uint32_t used = word32(page, l->page_used);
  mi_free(b);
  return word(page, l->page_local_free) == (uintptr_t)b && word(b, 0) == local &&
         word32(page, l->page_used) == used - 1;
}

/* A page with no free block goes to the full queue when mimalloc next looks
 * for one there: its flags turn nonzero, and a free brings them back. */
static int flags_agree(struct probe *p)
{
  const fast_layout *l = p->l;
  void *first = take(p, l->small_max);
  const char *page = first != NULL ? page_of(l, first) : NULL;
  if (page == NULL || byte(page, l->page_flags) != 0)
    return 0;
  while (byte(page, l->page_flags) == 0)
    if (take(p, l->small_max) == NULL)
      return 0;
  for (int i = 0; i < p->n; i++)
    if (p->taken[i] == first) {
      p->taken[i] = p->taken[--p->n];
      break;
    }
  mi_free(first);
  return byte(page, l->page_flags) == 0;
}

int fast_layout_probe(const fast_layout *l)
{
  if (mi_version() != 209 || thread_value() == 0 || !plausible(l))
    return -1;
  struct probe p = { .l = l, .heap = mi_heap_new() };
  if (p.heap == NULL)
    return 0;
  int verdict = pop_agrees(&p, 48) && pop_agrees(&p, 48) && push_agrees(&p) &&
                pop_agrees(&p, l->small_max) && push_agrees(&p) && flags_agree(&p) ? 1 : -1;
  if (p.no_memory)
    verdict = 0;
  while (p.n > 0)
    mi_free(p.taken[--p.n]);
  mi_heap_delete(p.heap);   /* never destroy: the heap may have reclaimed others' blocks */
  return verdict;
}

static atomic_int layout_verdict;   /* 0 until a probe could tell */

uintptr_t series_fast_thread(void)
{
  if (!TSHEAP__MI_INLINE)
    return 0;   /* the header's paths call mimalloc in this build */
  int v = atomic_load_explicit(&layout_verdict, memory_order_acquire);
  if (v == 0) {
    v = fast_layout_probe(&fast_layout_header);
    atomic_store_explicit(&layout_verdict, v, memory_order_release);
  }
  return v > 0 ? thread_value() : 0;
}
