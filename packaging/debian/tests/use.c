/* use.c: what a user's first program does with either build. */
#include <stdio.h>
#include <string.h>
#include <tsheap/tsheap.h>

int main(void)
{
  tsheap_state *st;
  if (tsheap_state_create(0, &st) != TSHEAP_OK)
    return 1;
  char *p = tsheap_malloc_nogil(TSHEAP_DOMAIN_DEFAULT, 32);
  if (p == NULL)
    return 2;
  strcpy(p, "ok");
  printf("%s %s\n", tsheap_loaded_build() == TSHEAP_BUILD_FREE_THREADED ? "free-threaded" : "gil", p);
  tsheap_free_nogil(p);
  return tsheap_state_end(st) != TSHEAP_OK;
}
