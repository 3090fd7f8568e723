-- mi_layout.lua: the part of mimalloc 2.0.9's private layout that the
-- free-threaded inline fast paths read, and the two inline functions that
-- read it.
--
-- mimalloc's own allocation and free are inline functions over its page free
-- lists; a program reaches them only through a call into the shared library,
-- which costs half as much again as the work (a batch of 16 B pairs: 2.1 ns a
-- pair in place, 3.1 ns through mi_heap_malloc and mi_free).  mimalloc
-- exports no such layout, so it is written here by hand from its
-- include/mimalloc-types.h and mimalloc-internal.h, as Debian's release build
-- lays it out (no padding, no encoded free lists, no statistics).  The
-- library checks every number against the mimalloc it runs on before it lets
-- a thread use them (core/mi_layout.c); when one does not hold, the view's
-- mi_thread stays 0 and every path calls mimalloc.  A change here is a new
-- ABI: bump FAST_PATH_LAYOUT in load.lua.

local M = {}

-- The numbers, in the order the header lists them; core/mi_layout.c checks
-- each one.
M.CONSTANTS = {
  { "small_max", 1024, "MI_SMALL_SIZE_MAX: the largest size the heap's direct pages serve" },
  { "direct_offset", 8, "offsetof(mi_heap_t, pages_free_direct): one page per 8 B of size" },
  { "segment_shift", 25, "MI_SEGMENT_SHIFT: a segment is 32 MiB and aligned to its size" },
  { "slice_shift", 16, "MI_SEGMENT_SLICE_SHIFT: 64 KiB slices, each with a page record" },
  { "thread_offset", 256, "offsetof(mi_segment_t, thread_id): the owner, 0 once abandoned" },
  { "slices_offset", 264, "offsetof(mi_segment_t, slices): the page records" },
}

function M.emit(b, m)
  local U, P = m.U, m.P
  b.emit("/* ThreadSanitizer cannot see mimalloc's own synchronization (the shared")
  b.emit(" * library is not instrumented), so instrumented reads and writes of its page")
  b.emit(" * records look like races once a page passes to another thread: under it,")
  b.emit(" * every path calls mimalloc. */")
  b.emit("#if defined(__SANITIZE_THREAD__)")
  b.emit("#define %s_MI_INLINE 0", U)
  b.emit("#elif defined(__has_feature)")
  b.emit("#if __has_feature(thread_sanitizer)")
  b.emit("#define %s_MI_INLINE 0", U)
  b.emit("#endif")
  b.emit("#endif")
  b.emit("#ifndef %s_MI_INLINE", U)
  b.emit("#define %s_MI_INLINE 1", U)
  b.emit("#endif")
  b.emit("")
  b.emit("/* mimalloc 2.0.9's layout, as far as the inline paths read it: a page")
  b.emit(" * record (mi_page_t) and where the heap and the segment keep theirs.  The")
  b.emit(" * library checks it against the mimalloc it runs on; when it does not hold,")
  b.emit(" * the view's mi_thread is 0 and every path calls mimalloc. */")
  b.emit("typedef struct %s_mi_page {", P)
  b.emit("  uint32_t slice_count;")
  b.emit("  uint32_t slice_offset;  /* bytes back from a slice to its page */")
  b.emit("  uint8_t unused0_[6];")
  b.emit("  uint8_t flags;          /* in the full queue, or holding aligned blocks */")
  b.emit("  uint8_t unused1_;")
  b.emit("  void *free;             /* blocks to allocate, linked through their first word */")
  b.emit("  uint32_t used;          /* blocks in use */")
  b.emit("  uint32_t block_size;")
  b.emit("  void *local_free;       /* blocks the owner freed, not yet in free */")
  b.emit("  uint8_t unused2_[40];")
  b.emit("} %s_mi_page;", P)
  b.emit("")
  b.emit("enum {")
  for i, c in ipairs(M.CONSTANTS) do
    b.emit("  %s_mi_%s = %d%s /* %s */", P, c[1], c[2], i < #M.CONSTANTS and "," or "", c[3])
  end
  b.emit("};")
  b.emit("")
  b.emit("/* _mi_page_malloc for a page with a free block; NULL when mimalloc must")
  b.emit(" * find one.  size <= %s_mi_small_max. */", P)
  b.emit("static inline void *%s_mi_pop(struct mi_heap_s *heap, size_t size)", P)
  b.emit("{")
  b.emit("  %s_mi_page *const *ts_direct = (%s_mi_page *const *)(void *)((char *)heap + %s_mi_direct_offset);", P, P, P)
  b.emit("  %s_mi_page *ts_page = ts_direct[(size + 7) / 8];", P)
  b.emit("  void *ts_block = ts_page->free;")
  b.emit("  if (%s_UNLIKELY(ts_block == NULL))", U)
  b.emit("    return NULL;")
  b.emit("  __builtin_memcpy(&ts_page->free, ts_block, sizeof ts_block);")
  b.emit("  ts_page->used++;")
  b.emit("  return ts_block;")
  b.emit("}")
  b.emit("")
  b.emit("/* mi_free's path for a block of the calling thread (mimalloc's thread")
  b.emit(" * value: thread) on a page that stays in use; 0 when mi_free must do it. */")
  b.emit("static inline int %s_mi_push(void *block, uintptr_t thread)", P)
  b.emit("{")
  b.emit("  uintptr_t ts_segment = (uintptr_t)block & ~(((uintptr_t)1 << %s_mi_segment_shift) - 1);", P)
  b.emit("  %s_mi_page *ts_slice, *ts_page;", P)
  b.emit("  if (__atomic_load_n((const uintptr_t *)(ts_segment + %s_mi_thread_offset), __ATOMIC_RELAXED) != thread)", P)
  b.emit("    return 0;")
  b.emit("  ts_slice = (%s_mi_page *)(ts_segment + %s_mi_slices_offset) +", P, P)
  b.emit("             (((uintptr_t)block - ts_segment) >> %s_mi_slice_shift);", P)
  b.emit("  ts_page = (%s_mi_page *)(void *)((char *)ts_slice - ts_slice->slice_offset);", P)
  b.emit("  if (%s_UNLIKELY(ts_page->flags != 0 || ts_page->used <= 1))", U)
  b.emit("    return 0;   /* the page leaves the full queue, or is retired: mi_free's work */")
  b.emit("  __builtin_memcpy(block, &ts_page->local_free, sizeof block);")
  b.emit("  ts_page->local_free = block;")
  b.emit("  ts_page->used--;")
  b.emit("  return 1;")
  b.emit("}")
end

-- The two paths the header's inline functions and the library's own
-- allocations share; after the view and mimalloc's exports are declared.
function M.emit_paths(b, m)
  local U, P = m.U, m.P
  b.emit("/* A block from the thread's own heap: from the page in place when it can. */")
  b.emit("static inline void *%s_mi_malloc_inline(struct mi_heap_s *heap, size_t size)", P)
  b.emit("{")
  b.emit("  void *ts_block;")
  b.emit("  if (%s_MI_INLINE && size <= %s_mi_small_max && %s_ft_current.mi_thread != 0 &&", U, P, P)
  b.emit("      (ts_block = %s_mi_pop(heap, size)) != NULL)", P)
  b.emit("    return ts_block;")
  b.emit("  return %s_mi_heap_malloc(heap, size);", P)
  b.emit("}")
  b.emit("")
  b.emit("/* Any block, from any thread: onto the page in place when it can. */")
  b.emit("static inline void %s_mi_free_inline(void *block)", P)
  b.emit("{")
  b.emit("  uintptr_t ts_thread = %s_ft_current.mi_thread;", P)
  b.emit("  if (!%s_MI_INLINE || ts_thread == 0 || block == NULL || !%s_mi_push(block, ts_thread))", U, P)
  b.emit("    %s_mi_free(block);", P)
  b.emit("}")
end

return M
