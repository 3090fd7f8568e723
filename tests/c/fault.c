/* fault.c - libfault_inject.so: see fault.h.
 *
 * Written here rather than taken from a fault-injection tool: what must fail
 * is three calls made from inside mimalloc and tsheap, counted from a point
 * the test chooses, and the C library's own calls (which skip the PLT) must
 * keep working; that is a few lines of interposition. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fault.h"

extern void *__libc_calloc(size_t count, size_t size);

static struct {
  atomic_long left;     /* calls until the fault: 1 fails the next one, 0 none */
  atomic_int always;    /* once it fails, fail every call */
  atomic_int stuck;
} armed[FAULT_KINDS];
static atomic_long failed;
static atomic_size_t mmap_len;   /* 0, or the size fault_mmap_size names */
static atomic_int mmap_only;

void fault_arm(fault_kind kind, long n, int always)
{
  atomic_store(&armed[kind].stuck, 0);
  atomic_store(&armed[kind].always, always);
  atomic_store(&armed[kind].left, n);
  atomic_store(&failed, 0);
}

void fault_mmap_size(size_t len, int only)
{
  atomic_store(&mmap_len, len);
  atomic_store(&mmap_only, only);
}

long fault_disarm(void)
{
  for (int k = 0; k < FAULT_KINDS; k++) {
    atomic_store(&armed[k].left, 0);
    atomic_store(&armed[k].stuck, 0);
  }
  return atomic_load(&failed);
}

static int should_fail(fault_kind kind)
{
  if (!atomic_load(&armed[kind].stuck)) {
    long left = atomic_load(&armed[kind].left);
    while (left > 0 && !atomic_compare_exchange_weak(&armed[kind].left, &left, left - 1)) {}
    if (left != 1)
      return 0;
    if (atomic_load(&armed[kind].always))
      atomic_store(&armed[kind].stuck, 1);
  }
  atomic_fetch_add(&failed, 1);
  return 1;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
  size_t named = atomic_load(&mmap_len);
  int counted = named == 0 || (len == named) == atomic_load(&mmap_only);
  if (!(flags & MAP_FIXED) && counted && should_fail(FAULT_MMAP)) {
    errno = ENOMEM;
    return MAP_FAILED;
  }
  long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
  return r == -1 ? MAP_FAILED : (void *)r;
}

/* Only tsheap's own calls: glibc aborts when the calloc behind a thread_local
 * destructor fails (its policy, not tsheap's), and the loader and the test
 * harness allocate too. */
static int called_from_tsheap(const void *caller)
{
  Dl_info info;
  return dladdr(caller, &info) != 0 && info.dli_fname != NULL && strstr(info.dli_fname, "/libtsheap") != NULL;
}

void *calloc(size_t count, size_t size)
{
  if ((atomic_load(&armed[FAULT_CALLOC].left) > 0 || atomic_load(&armed[FAULT_CALLOC].stuck)) &&
      called_from_tsheap(__builtin_return_address(0)) && should_fail(FAULT_CALLOC)) {
    errno = ENOMEM;
    return NULL;
  }
  return __libc_calloc(count, size);
}

typedef int create_fn(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg)
{
  static create_fn *real;
  if (real == NULL)
    real = (create_fn *)dlsym(RTLD_NEXT, "pthread_create");
  if (should_fail(FAULT_THREAD))
    return EAGAIN;
  return real(thread, attr, start, arg);
}

/* TSHEAP_FAULT=kind:n[:always] for programs that cannot call fault_arm. */
__attribute__((constructor)) static void arm_from_environment(void)
{
  static const char *names[FAULT_KINDS] = { "mmap", "calloc", "thread" };
  const char *spec = getenv("TSHEAP_FAULT");
  if (spec == NULL)
    return;
  for (int k = 0; k < FAULT_KINDS; k++) {
    size_t len = strlen(names[k]);
    if (strncmp(spec, names[k], len) == 0 && spec[len] == ':') {
      char *end;
      long n = strtol(spec + len + 1, &end, 10);
      fault_arm((fault_kind)k, n, strcmp(end, ":always") == 0);
    }
  }
}
