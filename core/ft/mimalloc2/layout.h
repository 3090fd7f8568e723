/* layout.h - whether mimalloc 2.0.9's layout as tsheap_fast_series.h
 * writes it down holds for the mimalloc this process runs (the probe is in
 * layout.c, series_fast_thread's answer comes from it). */
#ifndef TSHEAP_LAYOUT_H
#define TSHEAP_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* Every number the header's inline paths use. */
typedef struct fast_layout {
  size_t small_max, direct_offset, segment_shift, slice_shift, thread_offset, slices_offset;
  size_t page_size, page_slice_offset, page_flags, page_free, page_used, page_block_size,
         page_local_free;
} fast_layout;

extern const fast_layout fast_layout_header;

/* 1: the numbers describe the mimalloc this process runs; -1: they do not;
 * 0: no memory to tell.  Reads only memory mimalloc gave the probe. */
int fast_layout_probe(const fast_layout *l);

#endif
