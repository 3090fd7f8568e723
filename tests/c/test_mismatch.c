/* test_mismatch.c - built with the GIL build's header but linked to the
 * free-threaded library: the library must refuse, not crash. */
#include "check.h"

int main(void)
{
  tsheap_state *st = NULL;
  CHECK(!FREE_THREADED);
  CHECK(tsheap_loaded_build() == TSHEAP_BUILD_FREE_THREADED);
  CHECK(tsheap_abi() != TSHEAP_ABI);
  CHECK((tsheap_abi() & ~3u) == TSHEAP_SPEC_ABI);   /* same spec, other build */
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_E_ABI);
  CHECK(st == NULL);
  return check_done();
}
