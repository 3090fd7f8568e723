/* objects.c - states and blocks as Lua userdata, and the checks that keep
 * every misuse a Lua error.
 *
 * A block holds a pointer to its state's object and the discard epoch of its
 * domain when it was made; a discard bumps the epoch, so a block whose
 * memory went with its domain is refused instead of touched.  A state's
 * userdata is pinned in the registry while any block object points to it,
 * so the pointer stays good as long as the block.
 *
 * An allocation from Lua costs little more than the Lua API calls it makes,
 * so it makes few: the module's functions are closures over what they need
 * (UV_*; the registry by name costs a string's hash and a strcmp), the
 * current state's object is remembered, and a block is one small userdata.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "objects.h"

/* Registry names carry the module's name: both builds' modules may be loaded
 * in one Lua state, and a block of one must not pass for a block of the other. */
#define STATE_MT TSL_NAME ".state"
#define BLOCK_MT TSL_NAME ".block"
#define STATES TSL_NAME ".states"   /* tsheap_state * -> its userdata, weak values */
#define PINNED TSL_NAME ".pinned"   /* tsl_state * -> its userdata, while it has blocks */
#define CACHE TSL_NAME ".cache"     /* struct cache */
#define VISIT_ERROR TSL_NAME ".visit_error"

#if LUA_VERSION_NUM < 502
#define lua_rawlen lua_objlen
#endif

/* The upvalues of the module's functions, and their registry names. */
enum { UV_BLOCK_MT = 1, UV_STATE_MT, UV_STATES, UV_PINNED, UV_CACHE, UV_COUNT = UV_CACHE };
static const char *const uv_names[] = { NULL, BLOCK_MT, STATE_MT, STATES, PINNED, CACHE };

/* The last state a block was made on, while it is pinned and has not ended:
 * st's object without a lookup. */
struct cache {
  tsheap_state *st;
  tsl_state *s;
};

static void push_uv(lua_State *L, int i)
{
  lua_pushvalue(L, lua_upvalueindex(i));
  if (lua_isnil(L, -1)) {   /* a caller that is no closure of ours */
    lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, uv_names[i]);
  }
}

static struct cache *get_cache(lua_State *L)
{
  struct cache *c = lua_touserdata(L, lua_upvalueindex(UV_CACHE));
  if (c == NULL) {
    lua_getfield(L, LUA_REGISTRYINDEX, CACHE);
    c = lua_touserdata(L, -1);
    lua_pop(L, 1);
  }
  return c;
}

void *tsl_check_udata(lua_State *L, int idx, const char *tname)
{
  void *p = lua_touserdata(L, idx);
  if (p != NULL && lua_getmetatable(L, idx)) {
    luaL_getmetatable(L, tname);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (same)
      return p;
  }
  tsl_type_error(L, idx, tname);
  return NULL;
}

/* tsl_check_udata, against the metatable in upvalue uv first */
static void *check_udata(lua_State *L, int idx, int uv)
{
  void *p = lua_touserdata(L, idx);
  if (p != NULL && lua_getmetatable(L, idx)) {
    int same = lua_rawequal(L, -1, lua_upvalueindex(uv));
    lua_pop(L, 1);
    if (same)
      return p;
  }
  return tsl_check_udata(L, idx, uv_names[uv]);   /* by name: a caller that is no closure of ours */
}

static const char *const domain_names[] = TSHEAP_DOMAIN_NAMES;

/* What the typemaps of one call share; one call runs at a time per thread. */
static __thread struct {
  tsl_state *owner;
  int owner_idx;
  int domain;
  tsheap_end_mode mode;
  tsheap_state *visiting;       /* a visit in progress on this thread */
  int visiting_domain;
  int visit_failed;             /* a visitor raised an error, maybe nil, kept in VISIT_ERROR */
} ctx;

int tsl_visiting(void) { return ctx.visiting != NULL; }

/* ---- plain arguments ---- */

/* A whole number from 0 to max: argument idx, or option key when key is
 * not NULL; noun says what it counts in the message. */
static double check_whole(lua_State *L, int idx, const char *key, const char *noun, double max)
{
  if (lua_type(L, idx) != LUA_TNUMBER)
    tsl_value_error(L, idx, key, "number expected, got %s", luaL_typename(L, idx));
#if LUA_VERSION_NUM >= 503
  if (lua_isinteger(L, idx)) {
    lua_Integer i = lua_tointeger(L, idx);
    if (i < 0)
      tsl_value_error(L, idx, key, "%s must not be negative", noun);
    if ((double)i > max)
      tsl_value_error(L, idx, key, "%s out of range", noun);
    return (double)i;
  }
#endif
  double v = lua_tonumber(L, idx);
  if (v != floor(v) || isnan(v))
    tsl_value_error(L, idx, key, "%s must be a whole number", noun);
  if (v < 0)
    tsl_value_error(L, idx, key, "%s must not be negative", noun);
  if (v > max)
    tsl_value_error(L, idx, key, "%s out of range", noun);
  return v;
}

size_t tsl_check_size(lua_State *L, int idx)
{
#if LUA_VERSION_NUM >= 503
  if (lua_isinteger(L, idx) && lua_tointeger(L, idx) >= 0)
    return (size_t)lua_tointeger(L, idx);
#endif
  return (size_t)check_whole(L, idx, NULL, "size", (double)TSL_WHOLE_MAX);
}

unsigned long long tsl_check_count(lua_State *L, int idx)
{
  return (unsigned long long)check_whole(L, idx, NULL, "count", (double)TSL_WHOLE_MAX);
}

lua_Integer tsl_check_whole(lua_State *L, int idx, const char *key, const char *noun, lua_Integer max)
{
  return (lua_Integer)check_whole(L, idx, key, noun, (double)max);
}

tsheap_status tsl_check_status(lua_State *L, int idx)
{
  if (lua_type(L, idx) != LUA_TNUMBER)
    tsl_type_error(L, idx, "status code");
  double v = lua_tonumber(L, idx);
  if (v != floor(v) || !(v >= INT_MIN && v <= INT_MAX))
    tsl_arg_error(L, idx, "a status code is a whole number");
  return (tsheap_status)(int)v;
}

const char *tsl_check_string(lua_State *L, int idx, size_t *len)
{
  if (lua_type(L, idx) != LUA_TSTRING)
    tsl_type_error(L, idx, "string");
  return lua_tolstring(L, idx, len);
}

void tsl_check_table(lua_State *L, int idx)
{
  if (lua_type(L, idx) != LUA_TTABLE)
    tsl_type_error(L, idx, "table");
}

/* The index of the name that is exactly s[0..len), or -1: luaL_checkoption
 * and strcmp would stop at a NUL and take "raw\0x" for "raw". */
static int exact_option(const char *s, size_t len, const char *const *names, int n)
{
  for (int i = 0; i < n; i++)
    if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
      return i;
  return -1;
}

static tsheap_domain check_domain(lua_State *L, int idx, const char *key)
{
  int d = -1;
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t len;
    const char *name = lua_tolstring(L, idx, &len);
    d = exact_option(name, len, domain_names, TSHEAP_DOMAIN_COUNT);
    if (d < 0)
      tsl_value_error(L, idx, key, "unknown domain '%s'%s", name,
                      strlen(name) != len ? " (the name holds a NUL byte)" : "");
  } else if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Number n = lua_tonumber(L, idx);
    if (n != floor(n) || n < 0 || n >= TSHEAP_DOMAIN_COUNT)
      tsl_value_error(L, idx, key, "unknown domain %s", lua_tostring(L, idx));
    d = (int)n;
  } else {
    tsl_value_error(L, idx, key, "domain name expected, got %s", luaL_typename(L, idx));
  }
  if (ctx.visiting != NULL && d == ctx.visiting_domain)
    tsl_error(L, "the %s domain is being visited: no allocation or free there", domain_names[d]);
  ctx.domain = d;
  return (tsheap_domain)d;
}

tsheap_domain tsl_check_domain(lua_State *L, int idx) { return check_domain(L, idx, NULL); }

tsheap_domain tsl_option_domain(lua_State *L, int idx, const char *key) { return check_domain(L, idx, key); }

unsigned tsl_check_domain_mask(lua_State *L, int idx)
{
  unsigned mask = 0;
  if (lua_isnoneornil(L, idx))
    return 0;
  tsl_check_table(L, idx);
  for (int i = 1; i <= (int)lua_rawlen(L, idx); i++) {
    lua_rawgeti(L, idx, i);
    int d = (int)tsl_check_domain(L, lua_gettop(L));
    lua_pop(L, 1);
    mask |= TSHEAP_DOMAIN_BIT(d);
  }
  return mask;
}

tsheap_end_mode tsl_check_end_mode(lua_State *L, int idx)
{
  static const char *const modes[] = { "release", "discard" };
  size_t len;
  const char *name = tsl_check_string(L, idx, &len);
  int m = exact_option(name, len, modes, 2);
  if (m < 0)
    tsl_arg_error(L, idx, "end mode must be \"release\" or \"discard\"");
  ctx.mode = m == 0 ? TSHEAP_END_MODE_RELEASE : TSHEAP_END_MODE_DISCARD;
  return ctx.mode;
}

/* ---- states ---- */

static tsl_state *to_state(lua_State *L, int idx) { return check_udata(L, idx, UV_STATE_MT); }

tsl_state *tsl_check_state(lua_State *L, int idx)
{
  tsl_state *s = to_state(L, idx);
  if (s->ended)
    tsl_arg_error(L, idx, "the thread state has ended");
  ctx.owner = s;
  ctx.owner_idx = idx;
  return s;
}

static tsl_state *new_state(lua_State *L, tsheap_state *st, int borrowed)
{
  tsl_state *s = lua_newuserdata(L, sizeof *s);
  memset(s, 0, sizeof *s);
  s->st = st;
  s->borrowed = borrowed;
  push_uv(L, UV_STATE_MT);
  lua_setmetatable(L, -2);
  push_uv(L, UV_STATES);
  lua_pushlightuserdata(L, st);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  return s;
}

void tsl_push_new_state(lua_State *L, tsheap_state *st) { new_state(L, st, 0); }

/* The userdata of a state Lua knows, or a borrowed one for a state made in C. */
static tsl_state *known_state(lua_State *L, tsheap_state *st)
{
  push_uv(L, UV_STATES);
  lua_pushlightuserdata(L, st);
  lua_rawget(L, -2);
  lua_remove(L, -2);
  if (!lua_isnil(L, -1))
    return lua_touserdata(L, -1);
  lua_pop(L, 1);
  return new_state(L, st, 1);
}

void tsl_push_known_state(lua_State *L, tsheap_state *st)
{
  if (st == NULL)
    lua_pushnil(L);
  else
    known_state(L, st);
}

/* The cache must not name a state that ends or is collected. */
static void forget(lua_State *L, const tsl_state *s)
{
  struct cache *c = get_cache(L);
  if (c->s == s)
    c->st = NULL, c->s = NULL;
}

void tsl_state_ended(lua_State *L, int idx)
{
  tsl_state *s = to_state(L, idx);
  s->ended = 1;
  forget(L, s);
  push_uv(L, UV_STATES);
  lua_pushlightuserdata(L, s->st);
  lua_pushnil(L);
  lua_rawset(L, -3);     /* the C state is freed; its address may come back */
  lua_pop(L, 1);
}

void tsl_domain_ended(lua_State *L)
{
  (void)L;
  if (ctx.mode == TSHEAP_END_MODE_DISCARD)
    ctx.owner->epoch[ctx.domain]++;
}

static int state_gc(lua_State *L)
{
  tsl_state *s = to_state(L, 1);
  /* only the owner may end it; elsewhere the state is left to its thread */
  if (!s->ended && !s->borrowed && tsheap_state_owned(s->st))
    tsheap_state_end(s->st);
  s->ended = 1;
  forget(L, s);
  return 0;
}

static int state_tostring(lua_State *L)
{
  tsl_state *s = to_state(L, 1);
  lua_pushfstring(L, "%s (%p%s)", STATE_MT, (void *)s->st, s->ended ? ", ended" : "");
  return 1;
}

/* ---- blocks ---- */

static tsl_block *to_block(lua_State *L, int idx) { return check_udata(L, idx, UV_BLOCK_MT); }

static int block_usable(const tsl_block *b)
{
  return b->ptr != NULL && (b->owner == NULL || b->owner->epoch[b->domain] == b->epoch);
}

tsl_block *tsl_check_block(lua_State *L, int idx)
{
  tsl_block *b = to_block(L, idx);
  if (b->ptr == NULL)
    tsl_arg_error(L, idx, "the block was freed");
  if (!block_usable(b))
    tsl_arg_error(L, idx, "the block's domain was discarded");
  return b;
}

/* A block to free or move: not one of the domain a visit is walking.
 * Reading, writing or asking about it there is fine. */
tsl_block *tsl_check_block_to_free(lua_State *L, int idx)
{
  tsl_block *b = tsl_check_block(L, idx);
  if (ctx.visiting != NULL && b->owner != NULL && b->owner->st == ctx.visiting &&
      b->domain == ctx.visiting_domain)
    tsl_error(L, "the %s domain is being visited: no allocation or free there (reading and writing "
              "its blocks is allowed)", domain_names[b->domain]);
  return b;
}

tsl_block *tsl_check_block_here(lua_State *L, int idx)
{
  tsl_block *b = tsl_check_block_to_free(L, idx);
  if (b->owner != NULL && b->owner->st != tsheap_state_current())
    tsl_arg_error(L, idx, "the block belongs to another thread state");
  return b;
}

/* A block object with no owner yet: from here on its __gc frees ptr. */
static tsl_block *new_block(lua_State *L, void *ptr)
{
#if LUA_VERSION_NUM >= 504
  tsl_block *b = lua_newuserdatauv(L, sizeof *b, 0);
#else
  tsl_block *b = lua_newuserdata(L, sizeof *b);
#endif
  memset(b, 0, sizeof *b);
  b->ptr = ptr;
  b->domain = ctx.domain;
  push_uv(L, UV_BLOCK_MT);
  lua_setmetatable(L, -2);
  return b;
}

/* b now belongs to s, whose userdata is at index ud; the first block pins it. */
static void own(lua_State *L, tsl_block *b, tsl_state *s, int ud)
{
  if (s->blocks == 0) {
    push_uv(L, UV_PINNED);
    lua_pushlightuserdata(L, s);
    lua_pushvalue(L, ud);
    lua_rawset(L, -3);
    lua_pop(L, 1);
  }
  s->blocks++;
  b->owner = s;
  b->epoch = s->epoch[b->domain];
}

/* b no longer belongs to its state; the last block unpins it. */
static void disown(lua_State *L, tsl_block *b)
{
  tsl_state *s = b->owner;
  b->owner = NULL;
  if (s == NULL || --s->blocks > 0)
    return;
  forget(L, s);
  push_uv(L, UV_PINNED);
  lua_pushlightuserdata(L, s);
  lua_pushnil(L);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

/* A block returned by an allocation on the current state, or an error. */
void tsl_push_result_block(lua_State *L, void *ptr)
{
  if (ptr == NULL)
    return;
  tsl_block *b = new_block(L, ptr);
  tsheap_state *cur = tsheap_state_current();
  if (cur == NULL)
    return;
  struct cache *c = get_cache(L);
  if (c->st == cur) {   /* pinned: it has a block already, and no ud is needed */
    own(L, b, c->s, 0);
    return;
  }
  tsl_state *s = known_state(L, cur);
  own(L, b, s, lua_gettop(L));
  lua_pop(L, 1);
  if (!s->ended)
    c->st = cur, c->s = s;
}

void tsl_push_named_block(lua_State *L, void *ptr)
{
  tsl_block *b = new_block(L, ptr);
  own(L, b, ctx.owner, ctx.owner_idx);
}

void tsl_block_freed(lua_State *L, int idx) { to_block(L, idx)->ptr = NULL; }

static int block_gc(lua_State *L)
{
  tsl_block *b = to_block(L, 1);
  if (block_usable(b))
    tsheap_free_nogil(b->ptr);
  b->ptr = NULL;
  disown(L, b);
  return 0;
}

/* The usable size, asked of the library the first time it is wanted. */
static size_t block_bytes(tsl_block *b)
{
  if (b->size == 0)
    b->size = tsheap_block_size_nogil(b->ptr);
  return b->size;
}

static int block_free(lua_State *L)
{
  tsl_block *b = tsl_check_block_to_free(L, 1);
  tsheap_free_nogil(b->ptr);
  b->ptr = NULL;
  return 0;
}

static int block_size(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)block_bytes(tsl_check_block(L, 1)));
  return 1;
}

static int block_valid(lua_State *L)
{
  lua_pushboolean(L, block_usable(to_block(L, 1)));
  return 1;
}

static int block_address(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)(uintptr_t)tsl_check_block(L, 1)->ptr);
  return 1;
}

static int block_domain(lua_State *L)
{
  lua_pushstring(L, domain_names[tsl_check_block(L, 1)->domain]);
  return 1;
}

static int block_state(lua_State *L)
{
  tsl_block *b = tsl_check_block(L, 1);
  if (b->owner == NULL)
    return lua_pushnil(L), 1;
  push_uv(L, UV_PINNED);
  lua_pushlightuserdata(L, b->owner);
  lua_rawget(L, -2);
  return 1;
}

/* offset and length within the block, from optional arguments */
static void span(lua_State *L, tsl_block *b, int idx, size_t *off, size_t *len, int need_len)
{
  size_t size = block_bytes(b);
  *off = lua_isnoneornil(L, idx) ? 0 : tsl_check_size(L, idx);
  if (*off > size)
    tsl_arg_error(L, idx, "offset %d is past the block's %d bytes", (int)*off, (int)size);
  if (!need_len)
    return;
  *len = lua_isnoneornil(L, idx + 1) ? size - *off : tsl_check_size(L, idx + 1);
  if (*len > size - *off)
    tsl_arg_error(L, idx + 1, "the span runs past the block's %d bytes", (int)size);
}

static int block_read(lua_State *L)
{
  tsl_block *b = tsl_check_block(L, 1);
  size_t off, len;
  span(L, b, 2, &off, &len, 1);
  lua_pushlstring(L, (const char *)b->ptr + off, len);
  return 1;
}

static int block_write(lua_State *L)
{
  tsl_block *b = tsl_check_block(L, 1);
  size_t off, len;
  span(L, b, 2, &off, &len, 0);
  const char *s = tsl_check_string(L, 3, &len);
  if (len > block_bytes(b) - off)
    tsl_arg_error(L, 3, "%d bytes do not fit at offset %d of %d", (int)len, (int)off, (int)b->size);
  memcpy((char *)b->ptr + off, s, len);
  return 0;
}

static int block_tostring(lua_State *L)
{
  tsl_block *b = to_block(L, 1);
  if (block_usable(b))
    lua_pushfstring(L, "%s (%d bytes, %s)", BLOCK_MT, (int)block_bytes(b), domain_names[b->domain]);
  else
    lua_pushfstring(L, "%s (%s)", BLOCK_MT, b->ptr == NULL ? "freed" : "discarded");
  return 1;
}

/* ---- results ---- */

void tsl_push_stats(lua_State *L, const tsheap_domain_stats *s)
{
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, (lua_Integer)s->live_blocks);
  lua_setfield(L, -2, "live_blocks");
  lua_pushinteger(L, (lua_Integer)s->live_bytes);
  lua_setfield(L, -2, "live_bytes");
  lua_pushinteger(L, (lua_Integer)s->allocations);
  lua_setfield(L, -2, "allocations");
  lua_pushinteger(L, (lua_Integer)s->threshold);
  lua_setfield(L, -2, "threshold");
}

void tsl_push_build(lua_State *L, tsheap_build b)
{
  lua_pushstring(L, b == TSHEAP_BUILD_FREE_THREADED ? "free_threaded" : "gil");
}

/* ---- visits ---- */

struct visit {
  lua_State *L;
  int fn;                  /* stack index of the Lua function */
  tsheap_state *st;
  int domain;
};

/* The visit's context lives in a userdata on the wrapper's stack, so that a
 * visit made from inside a visitor has its own. */
void *tsl_visit_arg(lua_State *L, int fn_idx)
{
  if (lua_type(L, fn_idx) != LUA_TFUNCTION)
    tsl_type_error(L, fn_idx, "function");
  struct visit *v = lua_newuserdata(L, sizeof *v);
  v->L = L;
  v->fn = fn_idx;
  v->st = ctx.owner != NULL ? ctx.owner->st : NULL;
  v->domain = ctx.domain;
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, VISIT_ERROR);
  ctx.visit_failed = 0;
  return v;
}

int tsl_visit_block(void *block, size_t size, void *arg)
{
  struct visit *v = arg;
  lua_State *L = v->L;
  tsheap_state *outer = ctx.visiting;
  int outer_domain = ctx.visiting_domain;
  lua_pushvalue(L, v->fn);
  lua_pushinteger(L, (lua_Integer)(uintptr_t)block);
  lua_pushinteger(L, (lua_Integer)size);
  /* a Lua error may not unwind through the allocator: catch it, stop, rethrow */
  ctx.visiting = v->st;
  ctx.visiting_domain = v->domain;
  int rc = lua_pcall(L, 2, 1, 0);
  ctx.visiting = outer;
  ctx.visiting_domain = outer_domain;
  if (rc != 0) {
    lua_setfield(L, LUA_REGISTRYINDEX, VISIT_ERROR);
    ctx.visit_failed = 1;
    return 1;
  }
  int stop = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return stop;
}

void tsl_visit_done(lua_State *L)
{
  if (!ctx.visit_failed)
    return;
  ctx.visit_failed = 0;
  lua_getfield(L, LUA_REGISTRYINDEX, VISIT_ERROR);   /* the error, nil too */
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, VISIT_ERROR);
  lua_error(L);
}

/* ---- opening ---- */

static void weak_table(lua_State *L, const char *name, const char *mode)
{
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushstring(L, mode);
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, name);
}

static const luaL_Reg block_methods[] = {
  { "free", block_free },     { "size", block_size },   { "read", block_read },
  { "write", block_write },   { "valid", block_valid }, { "address", block_address },
  { "domain", block_domain }, { "state", block_state }, { NULL, NULL },
};

/* Push the upvalues the module's functions are closed over. */
static void push_uvs(lua_State *L)
{
  for (int i = 1; i <= UV_COUNT; i++)
    lua_getfield(L, LUA_REGISTRYINDEX, uv_names[i]);
}

/* A metatable: methods as __index (the table on the stack top when methods
 * is NULL), metamethods from a list, and __name.  The functions are closed
 * over the module's upvalues. */
void tsl_new_class(lua_State *L, const char *name, const luaL_Reg *methods, const luaL_Reg *meta)
{
  char prefix[64];
  if (methods != NULL) {
    lua_newtable(L);
    push_uvs(L);
    luaL_setfuncs(L, methods, UV_COUNT);
  }
  snprintf(prefix, sizeof prefix, "%s:", name);
  tsl_name_functions(L, -1, prefix);
  luaL_newmetatable(L, name);
  lua_insert(L, -2);
  lua_setfield(L, -2, "__index");
  push_uvs(L);
  luaL_setfuncs(L, meta, UV_COUNT);
  snprintf(prefix, sizeof prefix, "%s.", name);
  tsl_name_functions(L, -1, prefix);
  lua_pushstring(L, name);
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
}

void tsl_open_objects(lua_State *L, int module_idx)
{
  static const luaL_Reg block_meta[] = { { "__gc", block_gc }, { "__tostring", block_tostring }, { NULL, NULL } };
  static const luaL_Reg state_meta[] = { { "__gc", state_gc }, { "__tostring", state_tostring }, { NULL, NULL } };
  /* the upvalues; the metatables are filled in below */
  luaL_newmetatable(L, BLOCK_MT);
  luaL_newmetatable(L, STATE_MT);
  lua_pop(L, 2);
  weak_table(L, STATES, "v");
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, PINNED);
  memset(lua_newuserdata(L, sizeof(struct cache)), 0, sizeof(struct cache));
  lua_setfield(L, LUA_REGISTRYINDEX, CACHE);

  /* SWIG's functions (plain C functions) become closures over the upvalues */
  int top = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, module_idx) != 0) {
    lua_CFunction f = lua_tocfunction(L, -1);
    if (f != NULL && lua_getupvalue(L, -1, 1) == NULL) {
      lua_pushvalue(L, top + 1);
      push_uvs(L);
      lua_pushcclosure(L, f, UV_COUNT);
      lua_rawset(L, module_idx);
    }
    lua_settop(L, top + 1);
  }
  tsl_name_functions(L, module_idx, TSL_NAME ".");
  tsl_new_class(L, BLOCK_MT, block_methods, block_meta);

  /* A state's methods are the module's state_* functions, whatever the spec
   * declares: st:malloc(...) is tsheap.state_malloc(st, ...). */
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, module_idx) != 0) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
    if (strncmp(k, "state_", 6) == 0 && lua_type(L, -1) == LUA_TFUNCTION && k[6] != '\0')
      lua_setfield(L, -3, k + 6);
    else
      lua_pop(L, 1);
  }
  lua_getfield(L, -1, "end");
  lua_setfield(L, -2, "close");    /* st:close() is st:end() */
  tsl_new_class(L, STATE_MT, NULL, state_meta);
}
