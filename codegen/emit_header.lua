-- emit_header.lua: the public header include/<name>/<name>.h.
--
-- Order: version and ABI tag, status codes, domains, the spec's types, the
-- functions of both builds, then the guard macro's two sides: the
-- free-threaded fast paths (inline, reading the current state from
-- initial-exec TLS) and the GIL build's own functions.

local cgen = require "cgen"

local M = {}

-- The inline fast paths.  Each heap op calls one of mimalloc's functions
-- under the library's name (tsheap__mi_<entry>, declared by the hand-written
-- <tsheap/tsheap_fast.h>) with the function's parameters after the domain.
-- mimalloc reports running out of memory to the library's error handler, so the
-- plain ops return what it returns; the ops whose other failures it does not
-- report (an overflowing count, a bad alignment) test the result, and fail
-- gives (count, size, alignment) for the error report.
local HEAP_OPS = {
  malloc         = { entry = "heap_malloc" },
  zalloc         = { entry = "heap_zalloc" },
  realloc        = { entry = "heap_realloc" },
  mallocn        = { entry = "heap_mallocn",        fail = function(a) return a[1] .. ", " .. a[2] .. ", 1" end },
  calloc         = { entry = "heap_calloc",         fail = function(a) return a[1] .. ", " .. a[2] .. ", 1" end },
  malloc_aligned = { entry = "heap_malloc_aligned", fail = function(a) return "1, " .. a[1] .. ", " .. a[2] end },
}
M.HEAP_OPS = HEAP_OPS

-- The hand-written fast path's names: the library's, whatever the spec's prefix.
local FAST = "tsheap__mi_"

local function inline_name(m, f) return m.P .. "_" .. f.name .. "_inline" end
M.inline_name = inline_name

local function emit_inline(b, m, f)
  local U, P = m.U, m.P
  local op = f.impl.ft.inline
  b.emit("static inline %s", cgen.decl(f.ret.ctype, inline_name(m, f) .. "(" .. cgen.params(f.params) .. ")"))
  b.emit("{")
  if HEAP_OPS[op] then
    local d = f.params[1].name
    local rest = {}
    for i = 2, #f.params do rest[#rest + 1] = f.params[i].name end
    -- locals carry a ts_ prefix so that they never shadow a parameter
    -- two tests, not one with an assignment inside: clang's
    -- -Wconditional-uninitialized cannot follow the short circuit
    b.emit("  struct mi_heap_s *ts_heap;")
    if HEAP_OPS[op].fail then b.emit("  void *ts_block;") end
    b.emit("  if (TSHEAP__UNLIKELY((unsigned)%s >= %sDOMAIN_COUNT))", d, U)
    b.emit("    return %s_ft_refused(%s);", P, d)
    b.emit("  ts_heap = %s_ft_current.heap[%s];", P, d)
    b.emit("  if (TSHEAP__UNLIKELY(ts_heap == NULL))")
    b.emit("    return %s_ft_refused(%s);", P, d)
    -- malloc takes a small block from the page in place (tsheap_fast.h)
    local call
    if op == "malloc" then
      call = string.format("%smalloc_inline(ts_heap, %s, %s_ft_current.mi_thread)", FAST, rest[1], P)
    else
      call = string.format("%s%s(ts_heap%s)", FAST, HEAP_OPS[op].entry,
                           #rest > 0 and ", " .. table.concat(rest, ", ") or "")
    end
    if op == "malloc_aligned" then
      -- mimalloc's aligned fast path takes 0 for a power of two
      b.emit("  if (TSHEAP__UNLIKELY(%s == 0))", rest[2])
      b.emit("    return %s_ft_failed(%s);", P, HEAP_OPS[op].fail(rest))
    end
    if HEAP_OPS[op].fail then
      b.emit("  ts_block = %s;", call)
      b.emit("  if (TSHEAP__UNLIKELY(ts_block == NULL))")
      b.emit("    return %s_ft_failed(%s);", P, HEAP_OPS[op].fail(rest))
      b.emit("  if (%sDOMAIN_COUNTED(%s))", U, d)
      b.emit("    %s_ft_current.fast->count[%s]++;", P, d)
      b.emit("  return ts_block;")
    else
      b.emit("  if (%sDOMAIN_COUNTED(%s))", U, d)
      b.emit("    %s_ft_current.fast->count[%s]++;", P, d)
      b.emit("  return %s;", call)
    end
  elseif op == "free" then
    b.emit("  %sfree_inline(%s, %s_ft_current.mi_thread);", FAST, f.params[1].name, P)
  elseif op == "block_size" then
    b.emit("  return %sblock_size(%s);", FAST, f.params[1].name)
  elseif op == "safepoint" then
    b.emit("  if (TSHEAP__UNLIKELY(__atomic_load_n(&%s_world_pending, __ATOMIC_RELAXED) != 0))", P)
    b.emit("    %s_world_park();", P)
  elseif op == "gc_due" then
    local d = f.params[1].name
    b.emit("  %s_ft_fast *ts_fast = %s_ft_current.fast;", P, P)
    b.emit("  return (unsigned)%s < %sDOMAIN_COUNT && ts_fast->threshold[%s] != 0 &&", d, U, d)
    b.emit("         ts_fast->count[%s] >= ts_fast->threshold[%s];", d, d)
  end
  b.emit("}")
end

local function emit_decl(b, m, f)
  cgen.comment(b, "", f.doc)
  if f.abi then
    b.emit("%s %s;", m.U .. "API", cgen.decl(f.ret.ctype, cgen.checked_name(f) .. "(" ..
           cgen.params(f.params, "uint32_t abi") .. ")"))
    b.emit("static inline %s", cgen.decl(f.ret.ctype, f.cname .. "(" .. cgen.params(f.params) .. ")"))
    b.emit("{")
    b.emit("  return %s(%s);", cgen.checked_name(f), cgen.args(f.params, m.U .. "ABI"))
    b.emit("}")
  else
    b.emit("%s %s;", m.U .. "API", cgen.decl(f.ret.ctype, f.cname .. "(" .. cgen.params(f.params) .. ")"))
  end
  if f.gil == "held" then
    b.emit("%s %s;", m.U .. "API", cgen.decl(f.ret.ctype, cgen.nogil_name(f) .. "(" .. cgen.params(f.params) .. ")"))
  end
  b.emit("")
end

local function emit_types(b, m)
  local U, P = m.U, m.P
  b.emit("/* Status codes; 0 is success.  %sstrerror() gives the message. */", P)
  cgen.emit_typedefs(b, m, true, function()
    local names = {}
    for _, d in ipairs(m.domains) do names[#names + 1] = '"' .. d.name .. '"' end
    b.emit("#define %sDOMAIN_NAMES { %s }", U, table.concat(names, ", "))
    b.emit("#define %sDOMAIN_DEFAULT %s", U, cgen.domain_const(m, m.default_domain))
    b.emit("#define %sDOMAIN_BIT(d) (1u << (d))", U)
    b.emit("#define %sDOMAIN_ALL ((1u << %sDOMAIN_COUNT) - 1u)", U, U)
    b.emit("/* Domains whose allocations are counted for a collector. */")
    b.emit("#define %sDOMAINS_COUNTED 0x%xu", U, m.counted_mask)
    b.emit("#define %sDOMAIN_COUNTED(d) ((%sDOMAINS_COUNTED >> (unsigned)(d)) & 1u)", U, U)
  end)
end

local function emit_ft_fast_path(b, m)
  local U, P = m.U, m.P
  b.emit("/* The inline fast paths below read the calling thread's view of its")
  b.emit(" * current state from initial-exec TLS: the state's heaps, copied there so")
  b.emit(" * that one load finds a heap, and its counters.  With no current state every")
  b.emit(" * heap in the view is NULL, so one test covers both refusals.  The library's")
  b.emit(" * hand-written tsheap_fast.h allocates and frees in place, on the layout of")
  b.emit(" * the mimalloc series it was built on, or calls mimalloc. */")
  b.emit("#include <tsheap/tsheap_fast.h>")
  b.emit("typedef struct %s_ft_fast {", P)
  b.emit("  struct mi_heap_s *heap[%sDOMAIN_COUNT]; /* NULL once the domain ended */", U)
  b.emit("  uint64_t count[%sDOMAIN_COUNT];          /* allocations, counted domains only */", U)
  b.emit("  uint64_t threshold[%sDOMAIN_COUNT];", U)
  b.emit("} %s_ft_fast;", P)
  b.emit("")
  b.emit("typedef struct %s_ft_view {", P)
  b.emit("  struct mi_heap_s *heap[%sDOMAIN_COUNT]; /* the current state's, or all NULL */", U)
  b.emit("  %s_ft_fast *fast;                        /* its counters, or a stand-in's */", P)
  b.emit("  uintptr_t mi_thread;  /* the thread's value for tsheap_fast.h; 0: its paths call mimalloc */")
  b.emit("} %s_ft_view;", P)
  b.emit("")
  b.emit("%sAPI extern __thread %s_ft_view %s_ft_current %s_TLS_MODEL;", U, P, P, U)
  b.emit("%sAPI void *%s_ft_refused(%sdomain domain);", U, P, P)
  b.emit("%sAPI void *%s_ft_failed(size_t count, size_t size, size_t alignment);", U, P)
  b.emit("/* nonzero while a thread stops the world: the safepoint parks */")
  b.emit("%sAPI extern int %s_world_pending;", U, P)
  b.emit("%sAPI void %s_world_park(void);", U, P)
  b.emit("")
  local inl = cgen.funcs(m, function(f) return f.builds.ft and f.impl.ft.inline end)
  for _, f in ipairs(inl) do
    emit_inline(b, m, f)
    b.emit("")
  end
  b.emit("#ifndef %sNO_INLINE", U)
  for _, f in ipairs(inl) do
    b.emit("#define %s(%s) %s(%s)", f.cname, cgen.args(f.params), inline_name(m, f), cgen.args(f.params))
  end
  b.emit("#endif")
end

function M.emit(m)
  local b = cgen.buffer()
  local U, G = m.U, m.api.guard
  local hguard = m.api.name:upper() .. "_H"
  cgen.emit_banner(b, m, "c", m.api.name .. ".h, the public header of")
  b.emit("#ifndef %s", hguard)
  b.emit("#define %s", hguard)
  b.emit("")
  b.emit("#include <stddef.h>")
  b.emit("#include <stdint.h>")
  b.emit("")
  b.emit("#ifdef __cplusplus")
  b.emit("extern \"C\" {")
  b.emit("#endif")
  b.emit("")
  b.emit("#define %sVERSION \"%s\"", U, m.api.version)
  b.emit("#define %sVERSION_MAJOR %s", U, m.api.major)
  b.emit("#define %sVERSION_MINOR %s", U, m.api.minor)
  b.emit("#define %sVERSION_PATCH %s", U, m.api.patch)
  b.emit("")
  b.emit("/* %s selects the free-threaded build; code written against any spec", G)
  b.emit(" * tests %sFREE_THREADED instead. */", U)
  b.emit("#ifdef %s", G)
  b.emit("#define %sFREE_THREADED 1", U)
  b.emit("#endif")
  b.emit("")
  b.emit("/* The ABI tag: the spec's signature hash with the build in the low bits.")
  b.emit(" * Functions that start a program's use of the library pass it, so a header")
  b.emit(" * and a library of different builds or specs fail with %sE_ABI. */", U)
  b.emit("#define %sSPEC_ABI 0x%08xu", U, m.abi_hash)
  b.emit("#ifdef %sFREE_THREADED", U)
  b.emit("#define %sABI (%sSPEC_ABI | 2u)", U, U)
  b.emit("#else")
  b.emit("#define %sABI (%sSPEC_ABI | 1u)", U, U)
  b.emit("#endif")
  b.emit("")
  b.emit("#if defined(__GNUC__)")
  b.emit("#define %sAPI __attribute__((visibility(\"default\")))", U)
  b.emit("#define %s_TLS_MODEL __attribute__((tls_model(\"initial-exec\")))", U)
  b.emit("#else")
  b.emit("#define %sAPI", U)
  b.emit("#define %s_TLS_MODEL", U)
  b.emit("#endif")
  b.emit("")
  -- Branch hints under the library's own name whatever the spec's prefix:
  -- the hand-written fast-path headers and the core spell them so too.
  b.emit("#ifndef TSHEAP__UNLIKELY")
  b.emit("#if defined(__GNUC__)")
  b.emit("#define TSHEAP__LIKELY(x) __builtin_expect(!!(x), 1)")
  b.emit("#define TSHEAP__UNLIKELY(x) __builtin_expect(!!(x), 0)")
  b.emit("#else")
  b.emit("#define TSHEAP__LIKELY(x) (x)")
  b.emit("#define TSHEAP__UNLIKELY(x) (x)")
  b.emit("#endif")
  b.emit("#endif")
  b.emit("")
  emit_types(b, m)
  b.emit("/* ---- Functions of both builds ---- */")
  b.emit("")
  for _, f in ipairs(cgen.funcs(m, function(f) return f.both end)) do emit_decl(b, m, f) end
  b.emit("#ifdef %s", G)
  b.emit("/* ---- The free-threaded build (lib%st) ---- */", m.api.name)
  b.emit("")
  for _, f in ipairs(cgen.funcs(m, function(f) return f.builds.ft and not f.both end)) do emit_decl(b, m, f) end
  -- clang 16 on warns of every indexed access in C under -Wunsafe-buffer-usage
  -- (part of -Weverything); each index here is tested first
  b.emit("#if defined(__clang__)")
  b.emit("#pragma clang diagnostic push")
  b.emit("#pragma clang diagnostic ignored \"-Wunknown-warning-option\"")
  b.emit("#pragma clang diagnostic ignored \"-Wunsafe-buffer-usage\"")
  b.emit("#endif")
  emit_ft_fast_path(b, m)
  b.emit("#if defined(__clang__)")
  b.emit("#pragma clang diagnostic pop")
  b.emit("#endif")
  b.emit("")
  b.emit("#else /* !%s */", G)
  b.emit("/* ---- The GIL build (lib%s) ---- */", m.api.name)
  b.emit("")
  for _, f in ipairs(cgen.funcs(m, function(f) return f.builds.gil and not f.both end)) do emit_decl(b, m, f) end
  b.emit("#endif /* %s */", G)
  b.emit("")
  b.emit("#ifdef __cplusplus")
  b.emit("}")
  b.emit("#endif")
  b.emit("")
  b.emit("#endif /* %s */", hguard)
  return b.text()
end

return M
