/* module.c - luaopen_tsheap (luaopen_tsheap_gil for the GIL build's module):
 * the SWIG-generated functions, the object types, and the Lua hosts of
 * runner.c.  SWIG's opener writes two helpers into the globals; they are put
 * back as they were, so that require sets no global. */
#include "objects.h"
#include "runner.h"

int luaopen_tsheap_core(lua_State *L);   /* SWIG's, hidden */

#define EXPORT __attribute__((visibility("default")))

EXPORT int TSL_OPEN(lua_State *L);

int TSL_OPEN(lua_State *L)
{
  static const char *const swig_globals[] = { "swig_type", "swig_equals" };
  int top = lua_gettop(L);
  for (int i = 0; i < 2; i++) lua_getglobal(L, swig_globals[i]);
  luaopen_tsheap_core(L);
  int module = lua_gettop(L);
  for (int i = 0; i < 2; i++) {
    lua_pushvalue(L, top + 1 + i);
    lua_setglobal(L, swig_globals[i]);
  }
  tsl_open_objects(L, module);
  tsl_open_runner(L, module);
  tsl_name_functions(L, module, TSL_NAME ".");   /* the runner's */
  tsl_push_build(L, tsheap_loaded_build());
  lua_setfield(L, module, "build");
  lua_replace(L, top + 1);
  lua_settop(L, top + 1);
  return 1;
}
