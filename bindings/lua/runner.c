/* runner.c - Lua states of their own on tsheap heaps.
 *
 * tsheap.luastate{cap = bytes, domain = name, ...} makes a lua_State whose
 * allocator is tsheap_lua_alloc on a thread state of its own; going over the
 * cap is Lua's "not enough memory" inside it, and closing it ends the heap.
 * sandbox.c has the options, and what the state may open and load.
 * tsheap.run_threads(n, code, ...) runs a chunk on n OS threads, each in its
 * own lua_State on its own thread's heap, and returns what each returned
 * with its heap's statistics.  Only nil, booleans, numbers and strings cross
 * between states.  In the GIL build a running state holds the GIL and lets
 * a waiting thread have it now and then, as CPython's eval loop does (see
 * "the GIL around a running state").
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "objects.h"
#include "runner.h"
#include "sandbox.h"

#define LUASTATE_MT TSL_NAME ".luastate"
#define MAX_VALUES 64
#define GIL_INTERVAL 10000   /* instructions a GIL holder runs before it lets go */

#if LUA_VERSION_NUM < 502
#define lua_rawlen lua_objlen
#endif

/* ---- values that cross between states ---- */

typedef struct value {
  int type;
  int is_integer;
  lua_Number number;
  lua_Integer integer;
  char *string;
  size_t len;
} value;

typedef struct values {
  int n;
  value v[MAX_VALUES];
} values;

/* Copy stack slots first..last of L; on failure leave a message in err. */
static int take_values(lua_State *L, int first, int last, values *out, char *err, size_t errlen)
{
  out->n = 0;
  for (int i = first; i <= last; i++) {
    value *v = &out->v[out->n];
    if (out->n == MAX_VALUES) {
      snprintf(err, errlen, "more than %d values", MAX_VALUES);
      return 0;
    }
    memset(v, 0, sizeof *v);
    v->type = lua_type(L, i);
    switch (v->type) {
    case LUA_TNIL:
      break;
    case LUA_TBOOLEAN:
      v->integer = lua_toboolean(L, i);
      break;
    case LUA_TNUMBER:
#if LUA_VERSION_NUM >= 503
      v->is_integer = lua_isinteger(L, i);
#endif
      v->integer = lua_tointeger(L, i);
      v->number = lua_tonumber(L, i);
      break;
    case LUA_TSTRING: {
      const char *s = lua_tolstring(L, i, &v->len);
      v->string = malloc(v->len + 1);
      if (v->string == NULL) {
        snprintf(err, errlen, "out of memory copying a string");
        return 0;
      }
      memcpy(v->string, s, v->len + 1);
      break;
    }
    default:
      snprintf(err, errlen, "value #%d is a %s; only nil, booleans, numbers and strings cross", i - first + 1,
               lua_typename(L, v->type));
      return 0;
    }
    out->n++;
  }
  return 1;
}

static void push_values(lua_State *L, const values *in)
{
  for (int i = 0; i < in->n; i++) {
    const value *v = &in->v[i];
    switch (v->type) {
    case LUA_TBOOLEAN: lua_pushboolean(L, (int)v->integer); break;
    case LUA_TNUMBER:
      if (v->is_integer)
        lua_pushinteger(L, v->integer);
      else
        lua_pushnumber(L, v->number);
      break;
    case LUA_TSTRING: lua_pushlstring(L, v->string, v->len); break;
    default: lua_pushnil(L); break;
    }
  }
}

static void free_values(values *vs)
{
  for (int i = 0; i < vs->n; i++) free(vs->v[i].string);
  vs->n = 0;
}

typedef struct host {
  tsheap_state *st;
  tsheap_lua_heap *heap;
  lua_State *L;
  sandbox_opts opts;      /* its domain, cap, libraries, loading, limit */
  int discardable;
  int concurrent;         /* one of several threads of run_threads */
  int holding;            /* between hold_gil and gil_done: the GIL is held */
  int beside_others;      /* hold_gil found other states running */
  unsigned countdown;     /* allocations until the next look for GIL waiters */
  int collector;          /* registry reference of collect(), made at open */
  int hook_every;         /* instructions between two calls of host_hook */
  lua_Integer executed;   /* instructions of this run so far, in hook_every steps */
} host;

/* ---- the GIL around a running state ---- */

/* In the GIL build a running state holds the GIL.  It lets a waiting thread
 * in every YIELD_EVERY allocations (tsheap_gil_yield: a load when nobody
 * waits).  A count hook would catch code that does not allocate too, but
 * with any hook set Lua 5.4 sends every instruction through its hook check
 * (bindings/lua/README.md has the cost), so only a state that runs beside
 * others sets one: one of run_threads' threads, or a state started while
 * another runs. */
#define YIELD_EVERY 256

#ifdef TSHEAP_FREE_THREADED
static int hold_gil(host *h) { (void)h; return 0; }
static void gil_done(host *h, int took) { (void)h; (void)took; }
#else
static atomic_int running;   /* states between hold_gil and gil_done */

static void let_go(lua_State *L, lua_Debug *ar)
{
  (void)L;
  (void)ar;
  tsheap_gil_release();
  sched_yield();          /* a thread waiting for the GIL gets its turn */
  tsheap_gil_acquire();
}

static int hold_gil(host *h)
{
  int took = !tsheap_gil_held() && tsheap_gil_acquire() == TSHEAP_OK;
  h->holding = 1;
  h->beside_others = atomic_fetch_add(&running, 1) > 0 || h->concurrent;
  return took;
}

static void gil_done(host *h, int took)
{
  h->holding = 0;
  atomic_fetch_sub(&running, 1);
  if (took)
    tsheap_gil_release();
}
#endif

static void drop_gil(host *h, int took)
{
  lua_sethook(h->L, NULL, 0, 0);
  gil_done(h, took);
}

/* ---- the count hook: the instruction limit, and the GIL beside others ---- */

static __thread host *hooked;   /* the host running on this thread */

static void host_hook(lua_State *L, lua_Debug *ar)
{
  host *h = hooked;
  if (h->opts.limit != 0 && (h->executed += h->hook_every) >= h->opts.limit) {
    char limit[32];   /* luaL_error has no integer format both ABIs share */
    snprintf(limit, sizeof limit, "%lld", (long long)h->opts.limit);
    luaL_error(L, "the run took more than its limit of %s instructions", limit);
  }
#ifndef TSHEAP_FREE_THREADED
  if (h->beside_others)
    let_go(L, ar);
#else
  (void)ar;
#endif
}

/* Sets the hook for a run when the run needs one, at the interval both
 * uses need; none otherwise (a hook slows every instruction). */
static void arm_hook(host *h)
{
  int every = 0;
#ifndef TSHEAP_FREE_THREADED
  if (h->beside_others)
    every = GIL_INTERVAL;
#endif
  if (h->opts.limit != 0 && (every == 0 || h->opts.limit < every))
    every = (int)(h->opts.limit < 1000000 ? h->opts.limit : 1000000);
  h->executed = 0;
  h->hook_every = every;
  if (every != 0)
    lua_sethook(h->L, host_hook, LUA_MASKCOUNT, every);
}

#ifdef TSHEAP_FREE_THREADED
/* Nothing to do around an allocation: Lua calls the library directly. */
static lua_State *host_newstate(host *h) { return lua_newstate(tsheap_lua_alloc, h->heap); }
#else
/* Apart, so that host_alloc keeps no frame of its own. */
static __attribute__((noinline)) void *yield_then_alloc(host *h, void *block, size_t osize, size_t nsize)
{
  h->countdown = YIELD_EVERY;
  tsheap_gil_yield();
  return tsheap_lua_alloc(h->heap, block, osize, nsize);
}

/* Outside hold_gil (lua_newstate) the _nogil entry takes the GIL itself. */
static void *host_alloc(void *ud, void *block, size_t osize, size_t nsize)
{
  host *h = ud;
  if (!h->holding)
    return tsheap_lua_alloc_nogil(h->heap, block, osize, nsize);
  if (--h->countdown == 0)
    return yield_then_alloc(h, block, osize, nsize);
  return tsheap_lua_alloc(h->heap, block, osize, nsize);
}

static lua_State *host_newstate(host *h) { return lua_newstate(host_alloc, h); }
#endif

/* ---- one state on one heap ---- */

/* fn(L) in protected mode with ud, a light userdata, as its one argument.
 * LuaJIT's lua_pushcfunction allocates a closure, so there 5.1's
 * lua_cpcall, which makes it inside the protection; Lua 5.4 pushes a light
 * C function, and the two slots are among the LUA_MINSTACK a host has. */
static int protected_call(lua_State *L, lua_CFunction fn, void *ud)
{
#if LUA_VERSION_NUM == 501
  return lua_cpcall(L, fn, ud);
#else
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, ud);
  return lua_pcall(L, 1, 0, 0);
#endif
}

static void host_close(host *h);

static int collect(lua_State *L)
{
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}

/* The collector is made at open, so that calling it later allocates
 * nothing: a state that ran out of memory under LuaJIT, which has no
 * collection of its own when an allocation fails, could not even make the
 * closure to collect with. */
static int make_collector(lua_State *L)
{
  host *h = lua_touserdata(L, 1);
  lua_pop(L, 1);
  lua_pushcfunction(L, collect);
  h->collector = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

/* LuaJIT's lua_newstate crashes when one of its allocations fails part way,
 * so no state is made under a cap below what a new state takes: measured
 * once, on a heap of h's state without a cap (0 when that fails: the
 * capped attempt then reports it). */
static size_t newstate_bytes(host *h)
{
  static atomic_size_t bytes;
  size_t n = atomic_load(&bytes);
  if (n == 0 && tsheap_lua_heap_create(h->st, h->opts.domain, 0, &h->heap) == TSHEAP_OK) {
    lua_State *L = host_newstate(h);
    if (L != NULL) {
      n = tsheap_lua_heap_used(h->heap);
      lua_close(L);
      atomic_store(&bytes, n);
    }
    tsheap_lua_heap_destroy(h->heap);
    h->heap = NULL;
  }
  return n;
}

/* A thread state of the host's own, without changing the thread's current one. */
static tsheap_status host_open(host *h, const sandbox_opts *o)
{
  tsheap_state *prev = tsheap_state_current();
  memset(h, 0, sizeof *h);
  h->opts = *o;
  tsheap_domain d = o->domain;
  size_t cap = o->cap;
  h->discardable = 1;
  tsheap_status s = tsheap_state_create(TSHEAP_DOMAIN_BIT(d), &h->st);
  if (s == TSHEAP_E_LIMIT) {          /* no arena left: end by release instead */
    h->discardable = 0;
    s = tsheap_state_create(0, &h->st);
  }
  if (s != TSHEAP_OK)
    return s;
  tsheap_state_switch(prev);
  s = cap != 0 && cap < newstate_bytes(h) ? TSHEAP_E_NOMEM : tsheap_lua_heap_create(h->st, d, cap, &h->heap);
  if (s == TSHEAP_OK) {
    h->countdown = YIELD_EVERY;
    h->L = host_newstate(h);
    if (h->L == NULL)
      s = TSHEAP_E_NOMEM;
  }
  if (s != TSHEAP_OK) {
    if (h->heap != NULL)
      tsheap_lua_heap_destroy(h->heap);
    tsheap_state_end(h->st);
    h->st = NULL;
    return s;
  }
  /* Protected: with a small cap the libraries may not fit, and an error
   * outside a protected call would end the process in Lua's panic. */
  int took = hold_gil(h);
  int ok = protected_call(h->L, sandbox_open, &h->opts) == 0 && protected_call(h->L, make_collector, h) == 0;
  drop_gil(h, took);
  if (!ok) {
    host_close(h);
    return TSHEAP_E_NOMEM;
  }
  return TSHEAP_OK;
}

static void host_close_lua(host *h)
{
  int took = hold_gil(h);
  lua_close(h->L);
  gil_done(h, took);
  h->L = NULL;
}

/* Close the Lua state, then end its heap at once. */
static void host_close(host *h)
{
  if (h->L != NULL)
    host_close_lua(h);
  if (h->heap != NULL) {
    tsheap_lua_heap_destroy(h->heap);
    h->heap = NULL;
  }
  if (h->st != NULL) {
    if (h->discardable)
      tsheap_state_end_domain(h->st, h->opts.domain, TSHEAP_END_MODE_DISCARD);
    tsheap_state_end(h->st);
    h->st = NULL;
  }
}

/* One run's work, handed to run_protected. */
typedef struct run_call {
  const char *code;
  size_t len;
  const values *args;
  values *results;
  char *err;
  size_t errlen;
  int taken;          /* the results were copied out */
  const char *mode;   /* "t", or "bt" when binary chunks are allowed */
} run_call;

/* Everything that may allocate in the state, inside the protection: a
 * memory error anywhere is then the chunk's error, never Lua's panic. */
static int run_protected(lua_State *L)
{
  run_call *c = lua_touserdata(L, 1);
  lua_pop(L, 1);
  int base = lua_gettop(L);
  if (luaL_loadbufferx(L, c->code, c->len, "=luastate", c->mode) != 0)
    return lua_error(L);
  luaL_checkstack(L, c->args->n, "too many arguments");
  push_values(L, c->args);
  lua_call(L, c->args->n, LUA_MULTRET);
  c->taken = take_values(L, base + 1, lua_gettop(L), c->results, c->err, c->errlen);
  return 0;
}

/* The error object on top of L as a message, without converting it in the
 * state (a number's conversion would allocate there). */
static void error_message(lua_State *L, char *err, size_t errlen)
{
  if (lua_type(L, -1) == LUA_TSTRING)
    snprintf(err, errlen, "%s", lua_tostring(L, -1));
  else if (lua_type(L, -1) == LUA_TNUMBER)
    snprintf(err, errlen, "%.14g", (double)lua_tonumber(L, -1));
  else
    snprintf(err, errlen, "error object is a %s value", luaL_typename(L, -1));
}

/* Run code with args in the host's state; results or an error message. */
static int host_run(host *h, const char *code, size_t len, const values *args, values *results, char *err,
                    size_t errlen)
{
  lua_State *L = h->L;
  results->n = 0;
  run_call c = { code, len, args, results, err, errlen, 0, sandbox_mode(&h->opts) };
  int took = hold_gil(h);
  host *outer = hooked;   /* a run inside another's chunk */
  hooked = h;
  arm_hook(h);
  int base = lua_gettop(L);
  int ok = protected_call(L, run_protected, &c) == 0;
  if (!ok) {
    /* what the failed run left is garbage now: collect it, so that a state
     * that ran out of memory works again */
    error_message(L, err, errlen);
    lua_settop(L, base);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->collector);
    lua_pcall(L, 0, 0, 0);
  }
  lua_settop(L, base);
  drop_gil(h, took);
  hooked = outer;
  return ok && c.taken;
}

static void push_host_stats(lua_State *L, const host *h)
{
  tsheap_domain_stats s;
  memset(&s, 0, sizeof s);
  tsheap_state_stats(h->st, h->opts.domain, &s);
  tsl_push_stats(L, &s);
  lua_pushinteger(L, (lua_Integer)tsheap_lua_heap_used(h->heap));
  lua_setfield(L, -2, "used");
  lua_pushinteger(L, (lua_Integer)h->opts.cap);
  lua_setfield(L, -2, "cap");
}

/* ---- tsheap.luastate ---- */

static host *check_host(lua_State *L) { return tsl_check_udata(L, 1, LUASTATE_MT); }

static host *check_open_host(lua_State *L)
{
  host *h = check_host(L);
  if (h->L == NULL)
    tsl_error(L, "the Lua state is closed");
  if (!tsheap_state_owned(h->st))
    tsl_error(L, "used from a thread other than its own");
  return h;
}

static int luastate_new(lua_State *L)
{
  sandbox_opts o;
  sandbox_defaults(&o, 0);
  if (!lua_isnoneornil(L, 1)) {
    tsl_check_table(L, 1);
    sandbox_read_options(L, 1, &o);
  }
  host *h = lua_newuserdata(L, sizeof *h);
  memset(h, 0, sizeof *h);
  luaL_getmetatable(L, LUASTATE_MT);
  lua_setmetatable(L, -2);
  tsheap_status s = host_open(h, &o);
  if (s != TSHEAP_OK)
    return tsl_fail(L, s);
  return 1;
}

static int luastate_run(lua_State *L)
{
  host *h = check_open_host(L);
  size_t len;
  const char *code = tsl_check_string(L, 2, &len);
  values args, results;
  char err[512];
  if (!take_values(L, 3, lua_gettop(L), &args, err, sizeof err)) {
    free_values(&args);
    return tsl_error(L, "argument %s", err);
  }
  int ok = host_run(h, code, len, &args, &results, err, sizeof err);
  free_values(&args);
  if (!ok) {
    free_values(&results);
    return tsl_error(L, "%s", err);
  }
  if (!lua_checkstack(L, results.n)) {
    free_values(&results);
    return tsl_error(L, "no stack room for %d results", results.n);
  }
  push_values(L, &results);
  int n = results.n;
  free_values(&results);
  return n;
}

static int luastate_stats(lua_State *L)
{
  push_host_stats(L, check_open_host(L));
  return 1;
}

static int luastate_close(lua_State *L)
{
  host *h = check_host(L);
  if (h->st != NULL && !tsheap_state_owned(h->st))
    return tsl_error(L, "used from a thread other than its own");
  host_close(h);
  return 0;
}

static int luastate_gc(lua_State *L)
{
  host *h = check_host(L);
  if (h->st != NULL && tsheap_state_owned(h->st))
    host_close(h);
  return 0;
}

/* ---- tsheap.run_threads ---- */

typedef struct job {
  pthread_t thread;
  int started;
  const char *code;
  size_t len;
  values args;            /* index and count first, then the caller's */
  values results;
  int ok;
  char err[512];
  sandbox_opts opts;
  int concurrent;         /* more than one job */
  tsheap_domain_stats stats;
  size_t used, used_after_close;
  double seconds;         /* wall time of the run itself */
} job;

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run_job(void *arg)
{
  job *j = arg;
  host h;
  tsheap_status s = host_open(&h, &j->opts);
  if (s != TSHEAP_OK) {
    snprintf(j->err, sizeof j->err, "cannot open a Lua state: %s", tsheap_strerror(s));
    return NULL;
  }
  h.concurrent = j->concurrent;
  double start = now();
  j->ok = host_run(&h, j->code, j->len, &j->args, &j->results, j->err, sizeof j->err);
  j->seconds = now() - start;
  tsheap_state_stats(h.st, h.opts.domain, &j->stats);
  j->used = tsheap_lua_heap_used(h.heap);
  host_close_lua(&h);
  j->used_after_close = tsheap_lua_heap_used(h.heap);
  host_close(&h);
  return NULL;
}

static int run_threads(lua_State *L)
{
  lua_Integer n = tsl_check_whole(L, 1, NULL, "thread count", TSL_WHOLE_MAX);
  size_t len;
  const char *code = tsl_check_string(L, 2, &len);
  sandbox_opts o;
  sandbox_defaults(&o, 1);
  int first_arg = 3;
  if (n < 1 || n > 1024)
    return tsl_arg_error(L, 1, "from 1 to 1024 threads");
  if (lua_istable(L, 3)) {     /* options: {domain = ..., cap = ...} */
    sandbox_read_options(L, 3, &o);
    first_arg = 4;
  }
#ifndef TSHEAP_FREE_THREADED
  /* The threads need the GIL to run.  A caller that holds it lets it go
   * while it waits for them, except a visit's callback: the visit holds it
   * for its whole walk. */
  if (tsl_visiting())
    return tsl_error(L, "not from a visit callback, which holds the GIL until the visit ends");
  int let_go = tsheap_gil_held();
#endif
  job *jobs = calloc((size_t)n, sizeof *jobs);
  if (jobs == NULL)
    return tsl_fail(L, TSHEAP_E_NOMEM);
  char err[512] = "";
  int good = 1;
  for (lua_Integer i = 0; i < n && good; i++) {
    job *j = &jobs[i];
    j->code = code;
    j->len = len;
    j->opts = o;
    j->concurrent = n > 1;
    lua_pushinteger(L, i + 1);
    lua_pushinteger(L, n);
    lua_insert(L, first_arg);
    lua_insert(L, first_arg);
    good = take_values(L, first_arg, lua_gettop(L), &j->args, err, sizeof err);
    lua_remove(L, first_arg);
    lua_remove(L, first_arg);
  }
  double start = now();
  for (lua_Integer i = 0; i < n && good; i++) {
    int rc = pthread_create(&jobs[i].thread, NULL, run_job, &jobs[i]);
    jobs[i].started = rc == 0;
    if (rc != 0)
      snprintf(jobs[i].err, sizeof jobs[i].err, "cannot start thread: %s", strerror(rc));
  }
#ifndef TSHEAP_FREE_THREADED
  if (let_go)
    tsheap_gil_release();
#endif
  for (lua_Integer i = 0; i < n; i++)
    if (jobs[i].started) pthread_join(jobs[i].thread, NULL);
#ifndef TSHEAP_FREE_THREADED
  if (let_go)
    tsheap_gil_acquire();
#endif
  double seconds = now() - start;
  if (good) {
    lua_createtable(L, (int)n, 1);
    lua_pushnumber(L, seconds);
    lua_setfield(L, -2, "seconds");   /* wall time of the whole run */
    for (lua_Integer i = 0; i < n; i++) {
      job *j = &jobs[i];
      lua_createtable(L, 0, 6);
      lua_createtable(L, j->results.n, 0);
      int t = lua_gettop(L);
      for (int k = 0; k < j->results.n; k++) {
        values one = { 1, { j->results.v[k] } };
        push_values(L, &one);
        lua_rawseti(L, t, k + 1);
      }
      lua_setfield(L, -2, "results");
      if (!j->ok) {
        lua_pushstring(L, j->err);
        lua_setfield(L, -2, "error");
      }
      tsl_push_stats(L, &j->stats);
      lua_pushinteger(L, (lua_Integer)j->used);
      lua_setfield(L, -2, "used");
      lua_pushinteger(L, (lua_Integer)j->used_after_close);
      lua_setfield(L, -2, "used_after_close");
      lua_setfield(L, -2, "stats");
      lua_pushinteger(L, i + 1);
      lua_setfield(L, -2, "thread");
      lua_pushnumber(L, j->seconds);
      lua_setfield(L, -2, "seconds");
      lua_rawseti(L, -2, (int)i + 1);
    }
  }
  for (lua_Integer i = 0; i < n; i++) {
    free_values(&jobs[i].args);
    free_values(&jobs[i].results);
  }
  free(jobs);
  if (!good)
    return tsl_error(L, "argument %s", err);
  return 1;
}

/* ---- opening ---- */

static const luaL_Reg luastate_methods[] = {
  { "run", luastate_run }, { "stats", luastate_stats }, { "close", luastate_close }, { NULL, NULL },
};

void tsl_open_runner(lua_State *L, int module_idx)
{
  static const luaL_Reg meta[] = { { "__gc", luastate_gc }, { "__close", luastate_close }, { NULL, NULL } };
  tsl_new_class(L, LUASTATE_MT, luastate_methods, meta);
  lua_pushcfunction(L, luastate_new);
  lua_setfield(L, module_idx, "luastate");
  lua_pushcfunction(L, run_threads);
  lua_setfield(L, module_idx, "run_threads");
}
