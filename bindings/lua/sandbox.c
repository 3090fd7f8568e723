/* sandbox.c - the libraries and the loading a runner's Lua state gets.
 *
 * By default a luastate opens base, coroutine, table, string, math and
 * utf8 (bit on LuaJIT), without base's dofile and loadfile: nothing that
 * reaches files, processes, the debug library, C modules or LuaJIT's ffi.
 * Binary chunks are refused unless asked for, by the runner's own loads and
 * by load inside the state: a changed byte of a precompiled chunk crashes
 * the interpreter, which does not check bytecode.
 */
#include "sandbox.h"

#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "objects.h"

#if LUA_VERSION_NUM == 501
#include <luajit.h>
#endif

static const struct lib {
  const char *name;
  lua_CFunction open;
  int safe;          /* in the default set */
} libs[] = {
#if LUA_VERSION_NUM == 501
  { "_G", luaopen_base, 1 },      /* the coroutine library comes with it */
  { "bit", luaopen_bit, 1 },
  { "jit", luaopen_jit, 0 },
  { "ffi", luaopen_ffi, 0 },
#else
  { "_G", luaopen_base, 1 },
  { "coroutine", luaopen_coroutine, 1 },
  { "utf8", luaopen_utf8, 1 },
#endif
  { "table", luaopen_table, 1 },
  { "string", luaopen_string, 1 },
  { "math", luaopen_math, 1 },
  { "os", luaopen_os, 0 },
  { "io", luaopen_io, 0 },
  { "debug", luaopen_debug, 0 },
  { "package", luaopen_package, 0 },
};
#define NLIBS (sizeof libs / sizeof libs[0])
#define ALL_LIBS ((1u << NLIBS) - 1)
#define BASE_LIB 0

void sandbox_defaults(sandbox_opts *o, int trusted)
{
  memset(o, 0, sizeof *o);
  o->domain = TSHEAP_DOMAIN_DEFAULT;
  for (unsigned i = 0; i < NLIBS; i++)
    if (trusted || libs[i].safe)
      o->libs |= 1u << i;
}

static int lib_index(const char *name)
{
  for (unsigned i = 0; i < NLIBS; i++)
    if (strcmp(name, libs[i].name) == 0 || (i == BASE_LIB && strcmp(name, "base") == 0))
      return (int)i;
  return -1;
}

/* LuaJIT crashes closing a state whose ffi ran out of memory while it
 * opened: the libraries never opened under a cap (none on Lua 5.4). */
static unsigned ffi_libs(void)
{
  int at = lib_index("ffi");
  return at < 0 ? 0u : 1u << at;
}

/* libs = "all", or a list of names ("base" for the base library) */
static unsigned read_libs(lua_State *L, int idx)
{
  if (lua_type(L, idx) == LUA_TSTRING && strcmp(lua_tostring(L, idx), "all") == 0)
    return ALL_LIBS;
  if (!lua_istable(L, idx))
    tsl_value_error(L, idx, "libs", "\"all\" or a list of library names expected");
  unsigned set = 0;
  for (int i = 1;; i++) {
    lua_rawgeti(L, idx, i);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    int at = lua_type(L, -1) == LUA_TSTRING ? lib_index(lua_tostring(L, -1)) : -1;
    if (at < 0)
      tsl_error(L, "option 'libs'[%d]: no library %s here", i,
                 lua_type(L, -1) == LUA_TSTRING ? lua_pushfstring(L, "'%s'", lua_tostring(L, -1)) : "of that type");
    set |= 1u << at;
    lua_pop(L, 1);
  }
  return set;
}

void sandbox_read_options(lua_State *L, int idx, sandbox_opts *o)
{
  int libs_given = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    int v = lua_gettop(L);
    const char *key = lua_type(L, v - 1) == LUA_TSTRING ? lua_tostring(L, v - 1) : "";
    if (strcmp(key, "cap") == 0) {
      o->cap = (size_t)tsl_check_whole(L, v, "cap", "value", TSL_WHOLE_MAX);
    } else if (strcmp(key, "domain") == 0) {
      o->domain = tsl_option_domain(L, v, "domain");
    } else if (strcmp(key, "libs") == 0) {
      o->libs = read_libs(L, v);
      libs_given = 1;
    } else if (strcmp(key, "binary") == 0) {
      if (!lua_isboolean(L, v))
        tsl_value_error(L, v, "binary", "true or false expected");
      o->binary = lua_toboolean(L, v);
    } else if (strcmp(key, "limit") == 0) {
      o->limit = tsl_check_whole(L, v, "limit", "value", TSL_WHOLE_MAX);
    } else {
      tsl_error(L, "unknown option %s (it takes cap, domain, libs, binary and limit)",
                 lua_type(L, v - 1) == LUA_TSTRING ? lua_pushfstring(L, "'%s'", key) : "of a key not a string");
    }
    lua_pop(L, 1);
  }
  unsigned ffi = ffi_libs();
  if (o->cap != 0 && (o->libs & ffi)) {
    if (libs_given)
      tsl_error(L, "LuaJIT's ffi library cannot be opened under a cap (LuaJIT crashes when memory "
                "runs out while it opens ffi): leave ffi out, or the cap");
    o->libs &= ~ffi;   /* the trusted default: every library but that one */
  }
}

const char *sandbox_mode(const sandbox_opts *o) { return o->binary ? "bt" : "t"; }

/* Inside the state, load and loadstring with their mode forced to text. */
static const char text_only[] =
  "local load = load\n"
  "_G.load = function(chunk, name, mode, ...) return load(chunk, name, 't', ...) end\n"
  "if loadstring then _G.loadstring = function(s, name) return load(s, name, 't') end end\n";

int sandbox_open(lua_State *L)
{
  const sandbox_opts *o = lua_touserdata(L, 1);
  lua_pop(L, 1);
  for (unsigned i = 0; i < NLIBS; i++) {
    if (!(o->libs & (1u << i)))
      continue;
#if LUA_VERSION_NUM == 501
    lua_pushcfunction(L, libs[i].open);
    lua_pushstring(L, i == BASE_LIB ? "" : libs[i].name);
    lua_call(L, 1, 0);
#else
    luaL_requiref(L, libs[i].name, libs[i].open, 1);
    lua_pop(L, 1);
#endif
  }
#if LUA_VERSION_NUM == 501
  if (o->limit != 0)   /* count hooks do not run in compiled code */
    luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
#endif
  if (!(o->libs & (1u << BASE_LIB)))
    return 0;
  /* not every library: no files either (ffi, left out under a cap, aside) */
  if ((o->libs | ffi_libs()) != ALL_LIBS) {
    lua_pushnil(L);
    lua_setglobal(L, "dofile");
    lua_pushnil(L);
    lua_setglobal(L, "loadfile");
  }
  if (!o->binary) {
    if (luaL_loadbuffer(L, text_only, sizeof text_only - 1, "=sandbox") != 0)
      return lua_error(L);
    lua_call(L, 0, 0);
  }
  return 0;
}
