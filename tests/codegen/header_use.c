/* header_use.c: compiled, never linked, against a generated tsheap header by
 * header.sh and custom.sh: as C99, C11 and C++11, with the spec's guard macro
 * defined (-DEXPECT_FT=1) and not (-DEXPECT_FT=0). */
#include <tsheap/tsheap.h>

#ifndef EXPECT_FT
#error "compile with -DEXPECT_FT=0 or -DEXPECT_FT=1"
#endif

/* The guard macro selects the build the ABI tag names. */
typedef char abi_tag_names_the_build[(TSHEAP_ABI & 3u) == (EXPECT_FT ? 2u : 1u) ? 1 : -1];
typedef char default_domain_in_range[TSHEAP_DOMAIN_DEFAULT < TSHEAP_DOMAIN_COUNT ? 1 : -1];

/* Taking an address names the exported function, not the inline fast path. */
void *(*use_malloc)(tsheap_domain, size_t) = &tsheap_malloc;
void (*use_free)(void *) = &tsheap_free;
const char *(*use_strerror)(tsheap_status) = &tsheap_strerror;

const char *use_header(void);
const char *use_header(void)
{
  tsheap_domain_stats stats;
  void *block = tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, 16); /* inline under the guard */
  tsheap_free(block);
  stats.live_blocks = 0;
  (void)stats;
#if !EXPECT_FT
  if (tsheap_gil_held()) /* declared in the GIL build only */
    return "held";
#endif
  return tsheap_strerror(TSHEAP_E_NOMEM);
}
