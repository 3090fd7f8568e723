/* mi_layout.h - whether the header's copy of mimalloc's layout holds
 * (free-threaded build).  codegen/mi_layout.lua says why it exists. */
#ifndef TSHEAP_MI_LAYOUT_H
#define TSHEAP_MI_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* Every number the header's inline paths use. */
typedef struct mi_layout {
  size_t small_max, direct_offset, segment_shift, slice_shift, thread_offset, slices_offset;
  size_t page_size, page_slice_offset, page_flags, page_free, page_used, page_block_size,
         page_local_free;
} mi_layout;

extern const mi_layout mi_layout_header;

/* 1: the numbers describe the mimalloc this process runs; -1: they do not;
 * 0: no memory to tell.  Reads only memory mimalloc gave the probe. */
int mi_layout_probe(const mi_layout *l);

/* The calling thread's value in mimalloc's segments when the header's layout
 * holds (probed once a process), else 0: what the view's mi_thread gets. */
uintptr_t mi_layout_thread(void);

#endif
