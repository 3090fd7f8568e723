/* sandbox.h - what a Lua state of the runner may do: its options, the
 * libraries it opens, whether it loads binary chunks, how many
 * instructions a run may take. */
#ifndef TSHEAP_LUA_SANDBOX_H
#define TSHEAP_LUA_SANDBOX_H

#include <lua.h>
#include <stddef.h>

#include <tsheap/tsheap.h>

typedef struct sandbox_opts {
  tsheap_domain domain;
  size_t cap;            /* bytes, 0 for none */
  unsigned libs;         /* one bit per library of sandbox.c's table */
  int binary;            /* binary chunks may be loaded */
  lua_Integer limit;     /* instructions a run may take, 0 for no limit */
} sandbox_opts;

/* A luastate's defaults are the sandbox's (trusted 0); run_threads' chunks
 * are the program's own, with every library (trusted 1).  Text chunks
 * only, in both. */
void sandbox_defaults(sandbox_opts *o, int trusted);

/* Reads the options table at idx into o; any other key, or a value of the
 * wrong kind, is a Lua error. */
void sandbox_read_options(lua_State *L, int idx, sandbox_opts *o);

/* A lua_CFunction, run in a protected call with the options as its light
 * userdata: opens the libraries, then takes away binary loading. */
int sandbox_open(lua_State *L);

/* The mode for luaL_loadbufferx: "t", or "bt" when binary is allowed. */
const char *sandbox_mode(const sandbox_opts *o);

#endif
