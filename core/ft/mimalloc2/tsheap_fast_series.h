/* tsheap_fast_series.h - mimalloc 2.0.9's layout, as far as the inline
 * paths of tsheap_fast.h read it, and the two functions that read it.
 *
 * mimalloc's own allocation and free are inline functions over its page
 * free lists; a program reaches them only through a call into the shared
 * library, which costs half as much again as the work.  mimalloc exports
 * no such layout, so it is written here by hand from 2.0.9's
 * include/mimalloc-types.h and mimalloc-internal.h, as Debian's release
 * build lays it out (no padding, no encoded free lists, no statistics).
 * The library checks every number against the mimalloc it runs on before
 * it lets a thread use them (core/ft/mimalloc2/layout.c); when one does not
 * hold, the thread's value stays 0 and every path calls mimalloc.  A change
 * here is a new ABI: bump FAST_PATH_LAYOUT in codegen/load.lua.
 */
#ifndef TSHEAP_FAST_SERIES_H
#define TSHEAP_FAST_SERIES_H

#include <stddef.h>
#include <stdint.h>

/* ThreadSanitizer cannot see mimalloc's own synchronization (the shared
 * library is not instrumented), so instrumented reads and writes of its page
 * records look like races once a page passes to another thread: under it,
 * every path calls mimalloc. */
#if defined(__SANITIZE_THREAD__)
#define TSHEAP__MI_INLINE 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSHEAP__MI_INLINE 0
#endif
#endif
#ifndef TSHEAP__MI_INLINE
#define TSHEAP__MI_INLINE 1
#endif

struct mi_heap_s;

/* A page record (mi_page_t). */
typedef struct tsheap__mi_page {
  uint32_t slice_count;
  uint32_t slice_offset;  /* bytes back from a slice to its page */
  uint8_t unused0_[6];
  uint8_t flags;          /* in the full queue, or holding aligned blocks */
  uint8_t unused1_;
  void *free;             /* blocks to allocate, linked through their first word */
  uint32_t used;          /* blocks in use */
  uint32_t block_size;
  void *local_free;       /* blocks the owner freed, not yet in free */
  uint8_t unused2_[40];
} tsheap__mi_page;

/* Where the heap and the segment keep theirs. */
enum {
  tsheap__mi_small_max = 1024,     /* MI_SMALL_SIZE_MAX: the largest size the heap's direct pages serve */
  tsheap__mi_direct_offset = 8,    /* offsetof(mi_heap_t, pages_free_direct): one page per 8 B of size */
  tsheap__mi_segment_shift = 25,   /* MI_SEGMENT_SHIFT: a segment is 32 MiB and aligned to its size */
  tsheap__mi_slice_shift = 16,     /* MI_SEGMENT_SLICE_SHIFT: 64 KiB slices, each with a page record */
  tsheap__mi_thread_offset = 256,  /* offsetof(mi_segment_t, thread_id): the owner, 0 once abandoned */
  tsheap__mi_slices_offset = 264   /* offsetof(mi_segment_t, slices): the page records */
};

/* _mi_page_malloc for a page with a free block; NULL when mimalloc must
 * find one.  size <= tsheap__mi_small_max. */
static inline void *tsheap__mi_pop(struct mi_heap_s *heap, size_t size)
{
  tsheap__mi_page *const *ts_direct = (tsheap__mi_page *const *)(void *)((char *)heap + tsheap__mi_direct_offset);
  tsheap__mi_page *ts_page = ts_direct[(size + 7) / 8];
  void *ts_block = ts_page->free;
  if (TSHEAP__UNLIKELY(ts_block == NULL))
    return NULL;
  __builtin_memcpy(&ts_page->free, ts_block, sizeof ts_block);
  ts_page->used++;
  return ts_block;
}

/* mi_free's path for a block of the calling thread (mimalloc's thread
 * value: thread) on a page that stays in use; 0 when mi_free must do it. */
static inline int tsheap__mi_push(void *block, uintptr_t thread)
{
  uintptr_t ts_segment = (uintptr_t)block & ~(((uintptr_t)1 << tsheap__mi_segment_shift) - 1);
  tsheap__mi_page *ts_slice, *ts_page;
  if (__atomic_load_n((const uintptr_t *)(ts_segment + tsheap__mi_thread_offset), __ATOMIC_RELAXED) != thread)
    return 0;
  ts_slice = (tsheap__mi_page *)(ts_segment + tsheap__mi_slices_offset) +
             (((uintptr_t)block - ts_segment) >> tsheap__mi_slice_shift);
  ts_page = (tsheap__mi_page *)(void *)((char *)ts_slice - ts_slice->slice_offset);
  if (TSHEAP__UNLIKELY(ts_page->flags != 0 || ts_page->used <= 1))
    return 0;   /* the page leaves the full queue, or is retired: mi_free's work */
  __builtin_memcpy(block, &ts_page->local_free, sizeof block);
  ts_page->local_free = block;
  ts_page->used--;
  return 1;
}

#endif
