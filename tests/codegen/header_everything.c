/* header_everything.c: every inline path of the generated header, in a file
 * that has nothing of its own to warn of, for clang -Weverything -Werror. */
#include <tsheap/tsheap.h>

int header_everything(void);

int header_everything(void)
{
  tsheap_domain d = (tsheap_domain)0;
  void *p = tsheap_realloc(d, tsheap_malloc(d, 8), 16);
  void *z = tsheap_zalloc(d, 8);
  void *n = tsheap_mallocn(d, 2, 8);
  void *c = tsheap_calloc(d, 2, 8);
  void *a = tsheap_malloc_aligned(d, 64, 64);
  int due = tsheap_gc_due(d) ? 1 : 0;
  size_t size = tsheap_block_size(p);
  tsheap_free(p);
  tsheap_free(z);
  tsheap_free(n);
  tsheap_free(c);
  tsheap_free(a);
  return due + (size != 0);
}
