/* test_lua_alloc.c - tsheap_lua_alloc under a real Lua: built against Lua
 * 5.4 and against LuaJIT (the 5.1 ABI), on both builds of the library. */
#include <pthread.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "check.h"

static size_t live_blocks(tsheap_state *st, tsheap_domain d)
{
  tsheap_domain_stats s;
  CHECK_STATUS(tsheap_state_stats(st, d, &s), TSHEAP_OK);
  return s.live_blocks;
}

static lua_State *open_lua(tsheap_lua_heap *h)
{
  lua_State *L = lua_newstate(tsheap_lua_alloc, h);
  CHECK(L != NULL);
  if (L != NULL) luaL_openlibs(L);
  return L;
}

static int run(lua_State *L, const char *code, const char **err)
{
  int rc = luaL_loadstring(L, code);
  if (rc == 0) rc = lua_pcall(L, 0, 1, 0);
  *err = rc != 0 ? lua_tostring(L, -1) : NULL;
  return rc;
}

static void test_plain(tsheap_state *st)
{
  const tsheap_domain d = TSHEAP_DOMAIN_DEFAULT;
  tsheap_lua_heap *h;
  const char *err;
  size_t before = live_blocks(st, d);
  CHECK_STATUS(tsheap_lua_heap_create(st, d, 0, &h), TSHEAP_OK);
  GIL_TAKE();
  lua_State *L = open_lua(h);
  CHECK(run(L, "local t = {} for i = 1, 20000 do t[i] = ('x'):rep(i % 300) .. i end "
               "return #t", &err) == 0);
  CHECK(lua_tointeger(L, -1) == 20000);
  lua_pop(L, 1);
  GIL_DROP();
  CHECK(tsheap_lua_heap_used(h) > 100000);
  CHECK(live_blocks(st, d) > before + 1000);
  CHECK_STATUS(tsheap_lua_heap_destroy(h), TSHEAP_E_INVAL);   /* still in use */
  GIL_TAKE();
  lua_close(L);
  GIL_DROP();
  CHECK(tsheap_lua_heap_used(h) == 0);
  CHECK(live_blocks(st, d) == before);
  CHECK_STATUS(tsheap_lua_heap_destroy(h), TSHEAP_OK);
}

static void test_cap(tsheap_state *st)
{
  tsheap_lua_heap *h;
  const char *err = NULL;
  const size_t cap = (size_t)2 << 20;
  CHECK_STATUS(tsheap_lua_heap_create(st, TSHEAP_DOMAIN_DEFAULT, cap, &h), TSHEAP_OK);
  GIL_TAKE();
  lua_State *L = open_lua(h);
  CHECK(run(L, "local t = {} for i = 1, 1e6 do t[i] = ('y'):rep(100) .. i end return #t", &err) == LUA_ERRMEM);
  CHECK(err != NULL && strstr(err, "not enough memory") != NULL);
  lua_pop(L, 1);
  CHECK(tsheap_lua_heap_used(h) <= cap);
  /* nothing worse: the state goes on working within the cap (LuaJIT has no
   * emergency collection, so the embedder collects) */
  lua_gc(L, LUA_GCCOLLECT, 0);
  CHECK(run(L, "local s = 0 for i = 1, 1000 do s = s + #tostring(i) end return s", &err) == 0);
  CHECK(lua_tointeger(L, -1) == 2893);
  if (err != NULL) fprintf(stderr, "lua: %s\n", err);
  lua_pop(L, 1);
  lua_close(L);
  GIL_DROP();
  CHECK(tsheap_lua_heap_used(h) == 0);
  CHECK_STATUS(tsheap_lua_heap_destroy(h), TSHEAP_OK);
}

struct foreign {
  tsheap_lua_heap *h;
  void *block;
  void *shrunk, *grown, *fresh;
};

static void *foreign_thread(void *arg)
{
  struct foreign *f = arg;
  f->shrunk = tsheap_lua_alloc_nogil(f->h, f->block, 100, 10);
  f->grown = tsheap_lua_alloc_nogil(f->h, f->shrunk, 10, 1000);
  f->fresh = tsheap_lua_alloc_nogil(f->h, NULL, 4, 8);
  return NULL;
}

static void test_contract(tsheap_state *st)
{
  tsheap_lua_heap *h;
  pthread_t t;
  CHECK_STATUS(tsheap_lua_heap_create(st, TSHEAP_DOMAIN_DEFAULT, 1000, &h), TSHEAP_OK);
  CHECK_STATUS(tsheap_lua_heap_create(st, TSHEAP_DOMAIN_DEFAULT, 0, NULL), TSHEAP_E_INVAL);
  CHECK_STATUS(tsheap_lua_heap_create(NULL, TSHEAP_DOMAIN_DEFAULT, 0, &h), TSHEAP_E_INVAL);
  CHECK_STATUS(tsheap_lua_heap_create(st, (tsheap_domain)TSHEAP_DOMAIN_COUNT, 0, &h), TSHEAP_E_DOMAIN);
  GIL_TAKE();
  /* Lua 5.4 passes a type tag as osize for a new block */
  unsigned char *p = tsheap_lua_alloc(h, NULL, 4 /* LUA_TSTRING */, 100);
  CHECK(p != NULL && tsheap_lua_heap_used(h) == 100);
  fill(p, 100, 3);
  CHECK(tsheap_lua_alloc(h, p, 100, 2000) == NULL);          /* over the cap */
  CHECK(tsheap_lua_alloc(h, NULL, 4, 901) == NULL);          /* a new block too */
  CHECK(filled(p, 100, 3) && tsheap_lua_heap_used(h) == 100);
  GIL_DROP();
  /* another thread may shrink (in place) and free, never grow */
  struct foreign f = { h, p, NULL, NULL, (void *)1 };
  CHECK(pthread_create(&t, NULL, foreign_thread, &f) == 0);
  pthread_join(t, NULL);
  CHECK(f.shrunk == p && f.grown == NULL && f.fresh == NULL);
  CHECK(filled(p, 10, 3) && tsheap_lua_heap_used(h) == 10);
  GIL_TAKE();
  p = tsheap_lua_alloc(h, p, 10, 900);                        /* the owner grows it */
  CHECK(p != NULL && filled(p, 10, 3) && tsheap_lua_heap_used(h) == 900);
  CHECK(tsheap_lua_alloc(h, p, 900, 0) == NULL);
  CHECK(tsheap_lua_alloc(h, NULL, 0, 0) == NULL);
  GIL_DROP();
  CHECK(tsheap_lua_heap_used(h) == 0);
  CHECK(tsheap_lua_heap_used(NULL) == 0);
  CHECK_STATUS(tsheap_lua_heap_destroy(NULL), TSHEAP_E_INVAL);
  CHECK_STATUS(tsheap_lua_heap_destroy(h), TSHEAP_OK);
}

int main(void)
{
  tsheap_state *st;
  CHECK_STATUS(tsheap_state_create(0, &st), TSHEAP_OK);
  test_plain(st);
  test_cap(st);
  test_contract(st);
  CHECK_STATUS(tsheap_state_end(st), TSHEAP_OK);
  return check_done();
}
