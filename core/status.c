/* status.c - what the library says about itself and about failures. */
#include <mimalloc.h>

#include "internal.h"

static __thread tsheap_status last_error;

void *tsheap__fail_ptr(tsheap_status s)
{
  last_error = s;
  return NULL;
}

tsheap_status tsheap__last_error(void) { return last_error; }

const char *tsheap__strerror(tsheap_status s)
{
  if ((unsigned)s >= TSHEAP_STATUS_COUNT)
    return "unknown status code";
  return tsheap__status_messages[s];
}

const char *tsheap__version(void) { return TSHEAP_VERSION; }
tsheap_build tsheap__build(void) { return tsheap__stub_build; }
uint32_t tsheap__abi(void) { return TSHEAP_ABI; }
int tsheap__mimalloc_version(void) { return MI_MALLOC_VERSION; }
