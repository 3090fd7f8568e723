/* runner.h - Lua states of their own on tsheap heaps, alone or on threads. */
#ifndef TSHEAP_LUA_RUNNER_H
#define TSHEAP_LUA_RUNNER_H

#include <lua.h>

void tsl_open_runner(lua_State *L, int module_idx);

#endif
