/* lua_handwritten.c - hw.malloc(domain, size) and block:free(), written by
 * hand on the C API: the baseline that lua_call.lua holds the tsheap module
 * against.  It does the work the module does for these two calls: the
 * argument count, the domain by name or number, a whole non-negative size,
 * the library's error as a Lua error, use after free refused, a block freed
 * once by __gc.  What it leaves out is the module's own extra safety (a
 * block's state and discard epoch, no allocation into a domain being
 * visited), which the module pays for within the target.  Its argument
 * checks repeat the module's on purpose: a baseline must not share the code
 * it is held against.  Built once per build of the library: HW_OPEN names
 * the opener.
 */
#define TSHEAP_NO_INLINE 1   /* call the exported functions, as the module does */
#include <math.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include <tsheap/tsheap.h>

static const char *const domain_names[] = TSHEAP_DOMAIN_NAMES;

static tsheap_domain check_domain(lua_State *L, int idx)
{
  if (lua_type(L, idx) == LUA_TSTRING) {
    const char *name = lua_tostring(L, idx);
    for (int i = 0; i < TSHEAP_DOMAIN_COUNT; i++)
      if (strcmp(name, domain_names[i]) == 0)
        return (tsheap_domain)i;
    luaL_error(L, "bad argument #%d: unknown domain '%s'", idx, name);
  }
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Number n = lua_tonumber(L, idx);
    if (n != floor(n) || n < 0 || n >= TSHEAP_DOMAIN_COUNT)
      luaL_error(L, "bad argument #%d: unknown domain %s", idx, lua_tostring(L, idx));
    return (tsheap_domain)n;
  }
  return (tsheap_domain)luaL_error(L, "bad argument #%d: domain name expected, got %s", idx,
                                   luaL_typename(L, idx));
}

static size_t check_size(lua_State *L, int idx)
{
  if (lua_type(L, idx) != LUA_TNUMBER)
    luaL_error(L, "bad argument #%d: number expected, got %s", idx, luaL_typename(L, idx));
#if LUA_VERSION_NUM >= 503
  if (lua_isinteger(L, idx)) {
    lua_Integer i = lua_tointeger(L, idx);
    if (i < 0)
      luaL_error(L, "bad argument #%d: size must not be negative", idx);
    return (size_t)i;
  }
#endif
  double v = lua_tonumber(L, idx);
  if (v != floor(v) || isnan(v))
    luaL_error(L, "bad argument #%d: size must be a whole number", idx);
  if (v < 0)
    luaL_error(L, "bad argument #%d: size must not be negative", idx);
  if (v > 9007199254740992.0)
    luaL_error(L, "bad argument #%d: size out of range", idx);
  return (size_t)v;
}

/* The block metatable is every function's first upvalue. */
static void **check_block(lua_State *L)
{
  void **b = lua_touserdata(L, 1);
  if (b == NULL || !lua_getmetatable(L, 1) || !lua_rawequal(L, -1, lua_upvalueindex(1)))
    luaL_error(L, "bad argument #1: block expected, got %s", luaL_typename(L, 1));
  lua_pop(L, 1);
  return b;
}

static int hw_malloc(lua_State *L)
{
  if (lua_gettop(L) != 2)
    luaL_error(L, "hw.malloc: 2 arguments expected, got %d", lua_gettop(L));
  tsheap_domain d = check_domain(L, 1);
  size_t size = check_size(L, 2);
  void *p = tsheap_malloc_nogil(d, size);
  if (p == NULL)
    luaL_error(L, "hw.malloc: %s", tsheap_strerror(tsheap_last_error()));
  void **b = lua_newuserdata(L, sizeof *b);
  *b = p;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_setmetatable(L, -2);
  return 1;
}

static int hw_free(lua_State *L)
{
  void **b = check_block(L);
  if (*b == NULL)
    luaL_error(L, "bad argument #1: the block was freed");
  tsheap_free_nogil(*b);
  *b = NULL;
  return 0;
}

static int hw_gc(lua_State *L)
{
  void **b = check_block(L);
  if (*b != NULL)
    tsheap_free_nogil(*b);
  *b = NULL;
  return 0;
}

__attribute__((visibility("default"))) int HW_OPEN(lua_State *L);

int HW_OPEN(lua_State *L)
{
  static const luaL_Reg methods[] = { { "free", hw_free }, { NULL, NULL } };
  static const luaL_Reg module[] = { { "malloc", hw_malloc }, { NULL, NULL } };
  lua_newtable(L);                       /* the block metatable */
  lua_newtable(L);
  lua_pushvalue(L, -2);
  luaL_setfuncs(L, methods, 1);
  lua_setfield(L, -2, "__index");
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, hw_gc, 1);
  lua_setfield(L, -2, "__gc");
  lua_newtable(L);                       /* the module */
  lua_pushvalue(L, -2);
  luaL_setfuncs(L, module, 1);
  return 1;
}
