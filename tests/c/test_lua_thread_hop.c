/* test_lua_thread_hop.c MODULE - a lua_State that moves between OS threads
 * (as in a thread pool) keeps its tsheap objects, but a state's methods
 * called from a thread that does not own the state are Lua errors, never
 * a touch of another thread's heap. */
#include <pthread.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "check.h"

static const char *module;

static int run(lua_State *L, const char *code, const char **out)
{
  int rc = luaL_loadstring(L, code);
  if (rc == 0) rc = lua_pcall(L, 0, 1, 0);
  *out = lua_tostring(L, -1);
  return rc;
}

static void *other_thread(void *arg)
{
  lua_State *L = arg;
  const char *out;
  /* every method that acts on the state refuses, with the function named */
  CHECK(run(L, "return select(2, pcall(st.malloc, st, 'raw', 8))", &out) == 0);
  char want[128];
  snprintf(want, sizeof want, "%s.state_malloc: the thread state belongs to another thread", module);
  CHECK(out != NULL && strstr(out, want) != NULL);
  lua_pop(L, 1);
  CHECK(run(L, "return select(2, pcall(st.stats, st, 'raw'))", &out) == 0);
  CHECK(out != NULL && strstr(out, "belongs to another thread") != NULL);
  lua_pop(L, 1);
  CHECK(run(L, "return select(2, pcall(st.end_domain, st, 'raw', 'release'))", &out) == 0);
  CHECK(out != NULL && strstr(out, "belongs to another thread") != NULL);
  lua_pop(L, 1);
  CHECK(run(L, "return select(2, pcall(st.close, st))", &out) == 0);
  CHECK(out != NULL && strstr(out, "belongs to another thread") != NULL);
  lua_pop(L, 1);
  /* a block is memory: any thread reads it, and frees it */
  CHECK(run(L, "return b:read(0, 5)", &out) == 0);
  CHECK(out != NULL && strcmp(out, "hello") == 0);
  lua_pop(L, 1);
  CHECK(run(L, "b:free() return 'freed'", &out) == 0);
  lua_pop(L, 1);
  return NULL;
}

int main(int argc, char **argv)
{
  module = argc > 1 ? argv[1] : "tsheap";
  lua_State *L = luaL_newstate();
  const char *out;
  luaL_openlibs(L);
  lua_pushstring(L, module);
  lua_setglobal(L, "name");
  CHECK(run(L, "t = require(name) st = t.state_create() b = st:malloc('raw', 16) b:write(0, 'hello') "
               "return t.build", &out) == 0);
  lua_pop(L, 1);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, other_thread, L) == 0);
  pthread_join(th, NULL);
  /* back on its own thread the state works again */
  CHECK(run(L, "local c = st:malloc('raw', 8) c:free() st:close() return 'closed'", &out) == 0);
  CHECK(out != NULL && strcmp(out, "closed") == 0);
  lua_close(L);
  return check_done();
}
