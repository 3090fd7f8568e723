/* objects.h - what the Lua typemaps turn C values into and back: thread
 * states and blocks as userdata that know when they are no longer valid,
 * domains by name, sizes checked, failures as Lua errors.  Built for Lua 5.4
 * and for LuaJIT (the 5.1 ABI) from the same source.
 */
#ifndef TSHEAP_LUA_OBJECTS_H
#define TSHEAP_LUA_OBJECTS_H

#include <lauxlib.h>
#include <lua.h>

#include <tsheap/tsheap.h>

#include "errors.h"

/* A thread state as Lua holds it. */
typedef struct tsl_state {
  tsheap_state *st;
  int ended;
  int borrowed;                                 /* made elsewhere: Lua never ends it */
  size_t blocks;                                /* block objects that point here */
  unsigned long long epoch[TSHEAP_DOMAIN_COUNT]; /* bumped when a domain is discarded */
} tsl_state;

/* A block as Lua holds it. */
typedef struct tsl_block {
  void *ptr;                 /* NULL once freed */
  size_t size;               /* usable size; 0 until asked */
  tsl_state *owner;          /* NULL when allocated with no state Lua knows */
  int domain;
  unsigned long long epoch;  /* owner->epoch[domain] when allocated */
} tsl_block;

/* 1 while a visit's callback runs on this thread. */
int tsl_visiting(void);

size_t tsl_check_size(lua_State *L, int idx);
unsigned long long tsl_check_count(lua_State *L, int idx);
#define TSL_WHOLE_MAX ((lua_Integer)1 << 53)   /* each whole number up to it is exact in a double */
/* A whole number from 0 to max, for argument idx or option key (not NULL);
 * noun names it in the message. */
lua_Integer tsl_check_whole(lua_State *L, int idx, const char *key, const char *noun, lua_Integer max);
tsheap_status tsl_check_status(lua_State *L, int idx);
const char *tsl_check_string(lua_State *L, int idx, size_t *len);   /* a string, never a number */
void tsl_check_table(lua_State *L, int idx);
/* luaL_checkudata with the module's error: the userdata whose metatable is tname's */
void *tsl_check_udata(lua_State *L, int idx, const char *tname);
tsheap_domain tsl_check_domain(lua_State *L, int idx);
tsheap_domain tsl_option_domain(lua_State *L, int idx, const char *key);
unsigned tsl_check_domain_mask(lua_State *L, int idx);
tsheap_end_mode tsl_check_end_mode(lua_State *L, int idx);

tsl_state *tsl_check_state(lua_State *L, int idx);  /* a state that has not ended */
void tsl_push_new_state(lua_State *L, tsheap_state *st);
void tsl_push_known_state(lua_State *L, tsheap_state *st);  /* nil for NULL */
void tsl_state_ended(lua_State *L, int idx);
void tsl_domain_ended(lua_State *L);   /* after state_end_domain succeeded */

tsl_block *tsl_check_block(lua_State *L, int idx);  /* a block that may be used */
tsl_block *tsl_check_block_to_free(lua_State *L, int idx);  /* ... and freed or moved */
tsl_block *tsl_check_block_here(lua_State *L, int idx);  /* ... of the current state */
void tsl_block_freed(lua_State *L, int idx);

void tsl_push_stats(lua_State *L, const tsheap_domain_stats *s);
void tsl_push_build(lua_State *L, tsheap_build b);
void *tsl_visit_arg(lua_State *L, int fn_idx);   /* after the state and domain */
int tsl_visit_block(void *block, size_t size, void *arg);
void tsl_visit_done(lua_State *L);

/* The typemaps of one call remember its state and domain arguments, so that
 * a returned block knows where it lives: on the current state (result) or on
 * the state the call named (named). */
void tsl_push_result_block(lua_State *L, void *ptr);
void tsl_push_named_block(lua_State *L, void *ptr);

void tsl_new_class(lua_State *L, const char *name, const luaL_Reg *methods, const luaL_Reg *meta);
void tsl_open_objects(lua_State *L, int module_idx);

#endif
