/* errors.c - which function raised an error, by the function itself: the
 * running C closure is looked up in a registry table that the module fills
 * when it opens, so the name is right however the function was reached. */
#include <stdarg.h>

#include <lauxlib.h>

#include "errors.h"

#define NAMES TSL_NAME ".names"   /* function -> its Lua name */

static void push_names(lua_State *L)
{
  lua_getfield(L, LUA_REGISTRYINDEX, NAMES);
  if (lua_istable(L, -1))
    return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, NAMES);
}

void tsl_name_functions(lua_State *L, int idx, const char *prefix)
{
  if (idx < 0)
    idx = lua_gettop(L) + idx + 1;
  push_names(L);
  int names = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION) {
      lua_pushvalue(L, -1);
      lua_rawget(L, names);
      int named = !lua_isnil(L, -1);
      lua_pop(L, 1);
      if (!named) {
        lua_pushvalue(L, -1);
        lua_pushfstring(L, "%s%s", prefix, lua_tostring(L, -3));
        lua_rawset(L, names);
      }
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* The Lua name of the C function running now, or the module's name. */
static void push_running_name(lua_State *L)
{
  lua_Debug ar;
  if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "f", &ar)) {
    push_names(L);
    lua_insert(L, -2);
    lua_rawget(L, -2);
    lua_remove(L, -2);
    if (lua_type(L, -1) == LUA_TSTRING)
      return;
    lua_pop(L, 1);
  }
  lua_pushstring(L, TSL_NAME);
}

/* The label and the message are on the stack top: raise
 * where .. name .. ": " .. label .. message. */
static int raise(lua_State *L)
{
  int msg = lua_gettop(L);
  luaL_where(L, 1);
  push_running_name(L);
  lua_pushstring(L, ": ");
  lua_pushvalue(L, msg - 1);
  lua_pushvalue(L, msg);
  lua_concat(L, 5);
  return lua_error(L);
}

#define PUSH_MESSAGE(L, fmt)   \
  do {                         \
    va_list ap;                \
    va_start(ap, fmt);         \
    lua_pushvfstring(L, fmt, ap); \
    va_end(ap);                \
  } while (0)

int tsl_error(lua_State *L, const char *fmt, ...)
{
  lua_pushstring(L, "");
  PUSH_MESSAGE(L, fmt);
  return raise(L);
}

int tsl_value_error(lua_State *L, int idx, const char *key, const char *fmt, ...)
{
  if (key != NULL)
    lua_pushfstring(L, "option '%s': ", key);
  else
    lua_pushfstring(L, "bad argument #%d: ", idx);
  PUSH_MESSAGE(L, fmt);
  return raise(L);
}

int tsl_arg_error(lua_State *L, int idx, const char *fmt, ...)
{
  lua_pushfstring(L, "bad argument #%d: ", idx);
  PUSH_MESSAGE(L, fmt);
  return raise(L);
}

int tsl_type_error(lua_State *L, int idx, const char *tname)
{
  return tsl_arg_error(L, idx, "%s expected, got %s", tname, luaL_typename(L, idx));
}

int tsl_fail(lua_State *L, tsheap_status s) { return tsl_error(L, "%s", tsheap_strerror(s)); }

int tsl_count_error(lua_State *L, int lo, int hi)
{
  if (lo == hi)
    return tsl_error(L, "takes %d argument%s, got %d", lo, lo == 1 ? "" : "s", lua_gettop(L));
  return tsl_error(L, "takes %d to %d arguments, got %d", lo, hi, lua_gettop(L));
}
