/* test_limits.c - the documented limits of discardable domains: in the
 * free-threaded build each lives in an exclusive mimalloc arena (at most
 * ARENA_MAX at once, ARENA_SIZE each, retired after a release); the GIL
 * build has none.
 * A program of its own, since retired arenas stay retired for the process. */
#include "check.h"

#include "arenas_size.h"   /* the free-threaded pool's own numbers */

#define ARENAS ARENA_MAX
#define ARENA_MIB ((int)(ARENA_SIZE >> 20))

static void test_count(void)
{
  tsheap_state *st[ARENAS + 1];
  int made = 0;
  tsheap_status s = TSHEAP_OK;
  while (made <= ARENAS && (s = tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_DEFAULT), &st[made])) == TSHEAP_OK)
    made++;
  if (FREE_THREADED) {
    CHECK(made == ARENAS);
    CHECK_STATUS(s, TSHEAP_E_LIMIT);
  } else {
    CHECK(made == ARENAS + 1);
  }
  /* ending by discard gives the arena back */
  CHECK_STATUS(tsheap_state_switch(st[0]), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end_domain(st[0], TSHEAP_DOMAIN_DEFAULT, TSHEAP_END_MODE_DISCARD), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(st[0]), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_DEFAULT), &st[0]), TSHEAP_OK);
  /* a release that leaves a live block retires the arena: the next
   * discardable domain finds none */
  void *live;
  CHECK_STATUS(tsheap_state_malloc(st[1], TSHEAP_DOMAIN_DEFAULT, 100, &live), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(st[1]), TSHEAP_OK);
  tsheap_state *again = NULL;
  CHECK_STATUS(tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_DEFAULT), &again),
               FREE_THREADED ? TSHEAP_E_LIMIT : TSHEAP_OK);
  if (again != NULL) CHECK_STATUS(tsheap_state_end(again), TSHEAP_OK);
  /* domains that are not discardable have no such limit */
  CHECK_STATUS(tsheap_state_create(0, &again), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(again), TSHEAP_OK);
  /* a release with nothing live keeps the arena: these come back */
  for (int i = 0; i < made; i++)
    if (i != 1) CHECK_STATUS(tsheap_state_end(st[i]), TSHEAP_OK);
  int back = 0;
  while (back < made && tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_DEFAULT), &st[back]) == TSHEAP_OK)
    back++;
  CHECK(back == made - (FREE_THREADED ? 1 : 0));
  for (int i = 0; i < back; i++) CHECK_STATUS(tsheap_state_end(st[i]), TSHEAP_OK);
  tsheap_free_nogil(live);   /* a released block outlives its state */
}

static void test_cap(void)
{
  tsheap_state *st, *plain;
  CHECK_STATUS(tsheap_state_create(0, &plain), TSHEAP_OK);
  /* run after test_count: one arena was retired, the others are free again */
  CHECK_STATUS(tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_DEFAULT), &st), TSHEAP_OK);
  GIL_TAKE();
  int mib = 0;
  while (mib < 2 * ARENA_MIB && tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, (size_t)1 << 20) != NULL) mib++;
  if (FREE_THREADED) {
    CHECK(mib >= ARENA_MIB / 2 && mib < ARENA_MIB);
    CHECK_STATUS(tsheap_last_error(), TSHEAP_E_NOMEM);
  } else {
    CHECK(mib == 2 * ARENA_MIB);
  }
  /* the cap is the domain's alone: another domain of the state still grows */
  void *other = tsheap_malloc(TSHEAP_DOMAIN_RAW, (size_t)1 << 20);
  CHECK(other != NULL);
  tsheap_free(other);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_end_domain(st, TSHEAP_DOMAIN_DEFAULT, TSHEAP_END_MODE_DISCARD), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  /* the arena is whole again after the discard */
  CHECK_STATUS(tsheap_state_create(TSHEAP_DOMAIN_BIT(TSHEAP_DOMAIN_DEFAULT), &st), TSHEAP_OK);
  GIL_TAKE();
  int again = 0;
  while (again < mib && tsheap_malloc(TSHEAP_DOMAIN_DEFAULT, (size_t)1 << 20) != NULL) again++;
  CHECK(again == mib);
  GIL_DROP();
  CHECK_STATUS(tsheap_state_end_domain(st, TSHEAP_DOMAIN_DEFAULT, TSHEAP_END_MODE_DISCARD), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_switch(plain), TSHEAP_OK);
  CHECK_STATUS(tsheap_state_end(plain), TSHEAP_OK);
}

int main(void)
{
  test_count();
  test_cap();
  return check_done();
}
