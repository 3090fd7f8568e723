/* peer.h - one allocator API for every workload, chosen at compile time by
 * -DPEER_<NAME>.  Each workload is built once per peer, so allocators never
 * share a process and jemalloc/tcmalloc can replace malloc in their binary.
 *
 *   peer_init()                    once per process, on the main thread
 *   peer_thread_begin/_end()       around a thread's use (tsheap: its state)
 *   peer_lock/_unlock()            around a batch: the GIL for GIL peers
 *   peer_malloc(size), peer_free(p)
 */
#ifndef BENCH_PEER_H
#define BENCH_PEER_H

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(PEER_GLIBC)
#define PEER_NAME "glibc"
#define PEER_MALLOC_LIB "libc.so"
#elif defined(PEER_MIMALLOC)
#include <mimalloc.h>
#define PEER_NAME "mimalloc"
#define PEER_MALLOC_LIB "libmimalloc"
#elif defined(PEER_MIHEAP)
#include <mimalloc.h>
#define PEER_NAME "mi_heap"
#define PEER_MALLOC_LIB "libmimalloc"
#elif defined(PEER_JEMALLOC)
#define PEER_NAME "jemalloc"
#define PEER_MALLOC_LIB "libjemalloc"
#elif defined(PEER_TCMALLOC)
#define PEER_NAME "tcmalloc"
#define PEER_MALLOC_LIB "libtcmalloc"
#elif defined(PEER_PYMALLOC)
#include <Python.h>
#define PEER_NAME "pymalloc"
#define PEER_MALLOC_LIB "libc.so"
#define PEER_GIL 1
#elif defined(PEER_TSHEAPT)
#include <tsheap/tsheap.h>
#define PEER_NAME "tsheap-ft"
#define PEER_MALLOC_LIB "libc.so"   /* tsheap keeps the program's malloc */
#elif defined(PEER_TSHEAP)
#include <tsheap/tsheap.h>
#define PEER_NAME "tsheap-gil"
#define PEER_MALLOC_LIB "libc.so"
#define PEER_GIL 1
#else
#error "define one PEER_<NAME>"
#endif

#if defined(PEER_TSHEAPT) && !defined(TSHEAP_FREE_THREADED)
#error "PEER_TSHEAPT needs the free-threaded header (-DTSHEAP_GIL_DISABLED)"
#endif
#if defined(PEER_TSHEAP) && defined(TSHEAP_FREE_THREADED)
#error "PEER_TSHEAP is the GIL build: do not define TSHEAP_GIL_DISABLED"
#endif

#ifndef PEER_GIL
#define PEER_GIL 0
#endif

/* Keep a block alive in the compiler's eyes: GCC deletes free(malloc(n)). */
static inline void peer_escape(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static inline void peer_die(const char *what)
{
  fprintf(stderr, "%s: %s\n", PEER_NAME, what);
  exit(1);
}

#if defined(PEER_MIHEAP)
static __thread mi_heap_t *peer_heap;
#elif defined(PEER_PYMALLOC)
static __thread PyThreadState *peer_ts;
static __thread PyGILState_STATE peer_gstate;
#elif defined(PEER_TSHEAPT) || defined(PEER_TSHEAP)
static __thread tsheap_state *peer_state;
#endif

/* A linking mistake would silently measure glibc: check who owns malloc. */
static inline void peer_check_malloc(void)
{
  Dl_info info;
  void *(*m)(size_t) = malloc;
  if (dladdr((void *)m, &info) == 0 || info.dli_fname == NULL || strstr(info.dli_fname, PEER_MALLOC_LIB) == NULL) {
    fprintf(stderr, "%s: malloc comes from %s, expected %s\n", PEER_NAME,
            info.dli_fname ? info.dli_fname : "?", PEER_MALLOC_LIB);
    exit(1);
  }
}

/* Every peer runs in a process that has started a thread, as a program on
 * tsheap-ft has: glibc's malloc skips its atomic operations only until a
 * process's first thread starts, a shortcut no threaded runtime gets.
 * BENCH_ONE_THREAD=1 keeps it; the report shows glibc that way beside, as
 * glibc-1t, for a single-threaded program's view. */
static void *peer_idle(void *arg) { return arg; }

static inline int peer_one_thread(void)
{
  const char *e = getenv("BENCH_ONE_THREAD");
  return e != NULL && strcmp(e, "1") == 0;
}

/* The name the measurements carry: the peer's, "-1t" with the shortcut. */
static inline const char *peer_label(void)
{
  return peer_one_thread() ? PEER_NAME "-1t" : PEER_NAME;
}

static inline void peer_init(void)
{
  peer_check_malloc();
  if (!peer_one_thread()) {
    pthread_t t;
    if (pthread_create(&t, NULL, peer_idle, NULL) != 0 || pthread_join(t, NULL) != 0)
      peer_die("cannot start a thread");
  }
#if defined(PEER_PYMALLOC)
  Py_InitializeEx(0);
  PyEval_SaveThread();          /* threads take the GIL through peer_thread_begin */
#endif
}

static inline void peer_thread_begin(void)
{
#if defined(PEER_MIHEAP)
  peer_heap = mi_heap_new();
  if (peer_heap == NULL) peer_die("mi_heap_new failed");
#elif defined(PEER_PYMALLOC)
  peer_gstate = PyGILState_Ensure();
  peer_ts = PyEval_SaveThread();
#elif defined(PEER_TSHEAPT) || defined(PEER_TSHEAP)
  tsheap_status s = tsheap_state_create(0, &peer_state);
  if (s != TSHEAP_OK) peer_die(tsheap_strerror(s));
#endif
}

static inline void peer_thread_end(void)
{
#if defined(PEER_MIHEAP)
  mi_heap_delete(peer_heap);    /* live blocks (none here) move to the default heap */
#elif defined(PEER_PYMALLOC)
  PyEval_RestoreThread(peer_ts);
  PyGILState_Release(peer_gstate);
#elif defined(PEER_TSHEAPT) || defined(PEER_TSHEAP)
  tsheap_state_end(peer_state);
#endif
}

static inline void peer_lock(void)
{
#if defined(PEER_PYMALLOC)
  PyEval_RestoreThread(peer_ts);
#elif defined(PEER_TSHEAP)
  tsheap_gil_acquire();
#endif
}

static inline void peer_unlock(void)
{
#if defined(PEER_PYMALLOC)
  peer_ts = PyEval_SaveThread();
#elif defined(PEER_TSHEAP)
  tsheap_gil_release();
#endif
}

static inline void *peer_malloc(size_t size)
{
#if defined(PEER_MIMALLOC)
  return mi_malloc(size);
#elif defined(PEER_MIHEAP)
  return mi_heap_malloc(peer_heap, size);
#elif defined(PEER_PYMALLOC)
  return PyObject_Malloc(size);
#elif defined(PEER_TSHEAPT) || defined(PEER_TSHEAP)
  return tsheap_malloc(TSHEAP_DOMAIN_OBJECT, size);
#else
  return malloc(size);
#endif
}

static inline void peer_free(void *p)
{
#if defined(PEER_MIMALLOC) || defined(PEER_MIHEAP)
  mi_free(p);
#elif defined(PEER_PYMALLOC)
  PyObject_Free(p);
#elif defined(PEER_TSHEAPT) || defined(PEER_TSHEAP)
  tsheap_free(p);
#else
  free(p);
#endif
}

#endif /* BENCH_PEER_H */
