/* tsheap_host.i - Lua typemaps for the generated interface.
 *
 * They act on what the spec says of a parameter (its type, and the names the
 * generator gives: OUTPUT, TRANSFER, NULLABLE, CALLBACK), never on a function
 * by name, except where only the return value's meaning differs.  The work is
 * in objects.c; each typemap is one call.
 */

%{
#include "objects.h"

/* SWIG's own count check names the C function; name the Lua one */
#undef SWIG_check_num_args
#define SWIG_check_num_args(func_name, lo, hi) \
  if (lua_gettop(L) < (lo) || lua_gettop(L) > (hi)) tsl_count_error(L, lo, hi);
%}

/* ---- plain arguments ---- */
%typemap(in) size_t "$1 = tsl_check_size(L, $input);"
%typemap(in) uint64_t "$1 = (uint64_t)tsl_check_count(L, $input);"
%typemap(in) tsheap_domain "$1 = tsl_check_domain(L, $input);"
%typemap(default) unsigned discardable "$1 = 0;"
%typemap(in) unsigned discardable "$1 = tsl_check_domain_mask(L, $input);"
%typemap(in) tsheap_end_mode "$1 = tsl_check_end_mode(L, $input);"
%typemap(argout) tsheap_end_mode "tsl_domain_ended(L);"
%typemap(in) tsheap_status "$1 = tsl_check_status(L, $input);"

/* ---- results ---- */
%typemap(out) tsheap_status "if ($1 != TSHEAP_OK) tsl_fail(L, $1);"
%typemap(out) tsheap_status tsheap_last_error "lua_pushinteger(L, (lua_Integer)$1); SWIG_arg++;"
%typemap(out) tsheap_build "tsl_push_build(L, $1); SWIG_arg++;"
%typemap(out) int tsheap_state_owned, int tsheap_gc_due_nogil, int tsheap_gil_held
  "lua_pushboolean(L, $1); SWIG_arg++;"
%typemap(out) uint32_t "lua_pushinteger(L, (lua_Integer)$1); SWIG_arg++;"
%typemap(out) size_t "lua_pushinteger(L, (lua_Integer)$1); SWIG_arg++;"

/* ---- thread states ---- */
%typemap(in) tsheap_state *state, const tsheap_state *state "$1 = tsl_check_state(L, $input)->st;"
%typemap(in) tsheap_state *NULLABLE "$1 = lua_isnoneornil(L, $input) ? NULL : tsl_check_state(L, $input)->st;"
%typemap(in) tsheap_state *TRANSFER "$1 = tsl_check_state(L, $input)->st;"
%typemap(argout) tsheap_state *TRANSFER "tsl_state_ended(L, $input);"
%typemap(in, numinputs=0) tsheap_state **OUTPUT (tsheap_state *made = NULL) "$1 = &made;"
%typemap(argout) tsheap_state **OUTPUT "tsl_push_new_state(L, *$1); SWIG_arg++;"
%typemap(out) tsheap_state * "tsl_push_known_state(L, $1); SWIG_arg++;"

/* ---- blocks ---- */
%typemap(out) void * "if ($1 == NULL) tsl_fail(L, tsheap_last_error());
  tsl_push_result_block(L, $1); SWIG_arg++;"
%typemap(in, numinputs=0) void **OUTPUT (void *made = NULL) "$1 = &made;"
%typemap(argout) void **OUTPUT "tsl_push_named_block(L, *$1); SWIG_arg++;"
%typemap(in) void *TRANSFER "$1 = lua_isnoneornil(L, $input) ? NULL : tsl_check_block_to_free(L, $input)->ptr;"
%typemap(argout) void *TRANSFER "if (!lua_isnoneornil(L, $input)) tsl_block_freed(L, $input);"
/* a block moved into a domain of the current state must belong to that state */
%typemap(in) void *MOVE "$1 = lua_isnoneornil(L, $input) ? NULL : tsl_check_block_here(L, $input)->ptr;"
%typemap(argout) void *MOVE "if (!lua_isnoneornil(L, $input)) tsl_block_freed(L, $input);"
%typemap(in) const void *NULLABLE "$1 = lua_isnoneornil(L, $input) ? NULL : tsl_check_block(L, $input)->ptr;"

/* ---- statistics and visits ---- */
/* statistics come back as Lua tables: the struct is no class of the module */
%ignore tsheap_domain_stats;
%typemap(in, numinputs=0) tsheap_domain_stats *OUTPUT (tsheap_domain_stats got) "$1 = &got;"
%typemap(argout) tsheap_domain_stats *OUTPUT "tsl_push_stats(L, $1); SWIG_arg++;"
%typemap(in) (tsheap_visit_fn CALLBACK, void *CALLBACK_ARG) "$1 = tsl_visit_block; $2 = tsl_visit_arg(L, $input);"
%typemap(argout) (tsheap_visit_fn CALLBACK, void *CALLBACK_ARG) "tsl_visit_done(L);"
