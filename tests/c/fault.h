/* fault.h - make the calls that give tsheap memory or threads fail on demand.
 *
 * libfault_inject.so defines mmap, calloc and pthread_create ahead of the C
 * library (linked into a test, or through LD_PRELOAD): mimalloc and the GIL
 * build's arenas get their memory from mmap, states and Lua heaps come from
 * calloc, and the threads runner starts threads with pthread_create.  Each
 * call is counted; an armed fault fails the n-th call of its kind from the
 * arming on (ENOMEM, or EAGAIN for threads), once or from then on.
 *
 * LD_PRELOAD users arm it with TSHEAP_FAULT=kind:n[:always], for example
 * TSHEAP_FAULT=thread:2 (read once, at load). */
#ifndef TSHEAP_TEST_FAULT_H
#define TSHEAP_TEST_FAULT_H

#include <stddef.h>

typedef enum { FAULT_MMAP, FAULT_CALLOC, FAULT_THREAD, FAULT_KINDS } fault_kind;

/* Fail the n-th call (n >= 1) of a kind from now on; always: and every later one. */
void fault_arm(fault_kind kind, long n, int always);
/* mmap calls of exactly len bytes are never failed (0: none spared), or,
 * with only set, are the only ones counted and failed. */
void fault_mmap_size(size_t len, int only);
/* Disarm every kind; returns how many calls failed since the last arming. */
long fault_disarm(void);

#endif
