/* errors.h - the module's Lua errors, each a string that starts with the
 * Lua name of the function that raised it ("tsheap.gil.malloc: ...").
 * luaL_argerror names a function only when the call site does: under pcall,
 * and always on LuaJIT, it says '?'. */
#ifndef TSHEAP_LUA_ERRORS_H
#define TSHEAP_LUA_ERRORS_H

#include <lua.h>

#include <tsheap/tsheap.h>

/* Remember the Lua name of every function in the table at idx that has none
 * yet: prefix .. key ("tsheap." for the module, "tsheap.block:" for methods). */
void tsl_name_functions(lua_State *L, int idx, const char *prefix);

/* Raise "<where><function>: <message>", for the C function running now;
 * fmt is lua_pushfstring's. */
int tsl_error(lua_State *L, const char *fmt, ...);
/* ... "<function>: bad argument #idx: <message>" */
int tsl_arg_error(lua_State *L, int idx, const char *fmt, ...);
/* ... "<function>: option '<key>': <message>", key NULL for an argument */
int tsl_value_error(lua_State *L, int idx, const char *key, const char *fmt, ...);
/* ... "<function>: bad argument #idx: <tname> expected, got <type>" */
int tsl_type_error(lua_State *L, int idx, const char *tname);
/* ... "<function>: <the status's text>" */
int tsl_fail(lua_State *L, tsheap_status s);
/* The call's argument count is outside [lo, hi]: SWIG's own check. */
int tsl_count_error(lua_State *L, int lo, int hi);

#endif
