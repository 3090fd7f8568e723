/* check.h - the tests' assertions.  Each test program ends with the line
 * "N passed, N failed" and exits nonzero on any failure.  Both builds compile
 * the same tests: the guard macro selects the free-threaded one. */
#ifndef TSHEAP_TEST_CHECK_H
#define TSHEAP_TEST_CHECK_H

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <tsheap/tsheap.h>

#include "crash_report.h"

static atomic_int check_passed, check_failed;

#define CHECK(cond)                                                                      \
  do {                                                                                   \
    if (cond) {                                                                          \
      atomic_fetch_add(&check_passed, 1);                                                \
    } else {                                                                             \
      atomic_fetch_add(&check_failed, 1);                                                \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);          \
    }                                                                                    \
  } while (0)

#define CHECK_STATUS(expr, want)                                                         \
  do {                                                                                   \
    tsheap_status got_ = (expr);                                                         \
    if (got_ == (want)) {                                                                \
      atomic_fetch_add(&check_passed, 1);                                                \
    } else {                                                                             \
      atomic_fetch_add(&check_failed, 1);                                                \
      fprintf(stderr, "%s:%d: %s gave %d (%s), want %s\n", __FILE__, __LINE__, #expr,    \
              (int)got_, tsheap_strerror(got_), #want);                                  \
    }                                                                                    \
  } while (0)

/* A pointer-returning call that must fail with the given last error. */
#define CHECK_REFUSED(expr, want)                                                        \
  do {                                                                                   \
    CHECK((expr) == NULL);                                                               \
    CHECK_STATUS(tsheap_last_error(), want);                                             \
  } while (0)

static inline int check_done(void)
{
  printf("%d passed, %d failed\n", atomic_load(&check_passed), atomic_load(&check_failed));
  return atomic_load(&check_failed) != 0;
}

/* The GIL build wants the GIL around allocation calls; the other has none. */
#ifdef TSHEAP_FREE_THREADED
#define FREE_THREADED 1
#define GIL_TAKE() ((void)0)
#define GIL_DROP() ((void)0)
#else
#define FREE_THREADED 0
#define GIL_TAKE() CHECK_STATUS(tsheap_gil_acquire(), TSHEAP_OK)
#define GIL_DROP() CHECK_STATUS(tsheap_gil_release(), TSHEAP_OK)
#endif

static inline void fill(void *p, size_t n, unsigned char seed)
{
  unsigned char *b = p;
  for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(seed + i * 7u);
}

static inline int filled(const void *p, size_t n, unsigned char seed)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != (unsigned char)(seed + i * 7u)) return 0;
  return 1;
}

#endif
