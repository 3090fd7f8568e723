/* arenas_size.h - the pool's numbers: arenas.c lends by them, and
 * tests/c/test_limits.c holds the limits they make. */
#ifndef TSHEAP_ARENAS_SIZE_H
#define TSHEAP_ARENAS_SIZE_H

/* The most a discardable domain holds.  Four 32 MiB segments: a segment freed
 * by a discard can stay out of reach for a moment (mimalloc's segment cache
 * holds it), and the next heap in the arena must still find room; with two,
 * loaded threads ran out (seen under valgrind). */
#define ARENA_SIZE ((size_t)128 << 20)
#define ARENA_MAX 48                /* of 2.0.9's 64; the rest stay for others */

#endif
