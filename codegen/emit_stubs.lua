-- emit_stubs.lua: the variant stubs and the internal header they share with
-- the core.
--
-- A stub is the exported function: it checks what the spec says of each
-- argument (non-NULL pointers, domain and enum ranges, the owner thread, the
-- ABI tag), handles the GIL in the GIL build, and calls the implementation
-- the spec names.  The core then only sees arguments that passed.

local cgen = require "cgen"
local header = require "emit_header"

local M = {}

local function impl_name(f, build) return f.impl[build].fn end

-- What a function returns when its arguments are refused with status s.
local function refuse(m, f, s)
  if f.ret.kind == "status" then return "return " .. s .. ";" end
  if f.ret.kind == "pointer" then return "return " .. m.P .. "_fail_ptr(" .. s .. ");" end
  if f.ret.kind == "void" then return "return;" end
  return "return (" .. f.ret.ctype .. ")0;"
end

local function emit_checks(b, m, f)
  local U = m.U
  if f.abi then
    b.emit("  if (abi != %sABI)", U)
    b.emit("    %s", refuse(m, f, U .. "E_ABI"))
  end
  for _, p in ipairs(f.params) do
    if (p.pointer or p.callback) and not p.nullable then
      b.emit("  if (%s == NULL)", p.name)
      b.emit("    %s", refuse(m, f, U .. "E_INVAL"))
    end
  end
  for _, p in ipairs(f.params) do
    if p.is_domain then
      b.emit("  if ((unsigned)%s >= %sDOMAIN_COUNT)", p.name, U)
      b.emit("    %s", refuse(m, f, U .. "E_DOMAIN"))
    elseif p.enum then
      local conds = {}
      for _, v in ipairs(p.enum.values) do conds[#conds + 1] = p.name .. " != " .. v.cname end
      b.emit("  if (%s)", table.concat(conds, " && "))
      b.emit("    %s", refuse(m, f, U .. "E_INVAL"))
    end
  end
  if f.thread == "owner" and f.state_param then
    local s = f.state_param.name
    if f.state_param.nullable then
      b.emit("  if (%s != NULL && !%s_owns(%s))", s, m.P, s)
    else
      b.emit("  if (!%s_owns(%s))", m.P, s)
    end
    b.emit("    %s", refuse(m, f, U .. "E_NOT_OWNER"))
  end
end

-- One call of the implementation, with the GIL taken around it when asked.
local function emit_call(b, m, f, build, call, take_gil)
  local void = f.ret.kind == "void"
  if not take_gil then
    b.emit("  %s%s;", void and "" or "return ", call)
    return
  end
  if not void then b.emit("  %s;", cgen.decl(f.ret.ctype, "r")) end
  b.emit("  int locked = %s_gil_enter();", m.P)
  b.emit("  %s%s;", void and "" or "r = ", call)
  b.emit("  %s_gil_leave(locked);", m.P)
  if not void then b.emit("  return r;") end
end

local function emit_stub(b, m, f, build)
  local P, U = m.P, m.U
  local inline = f.impl[build].inline
  local params = cgen.params(f.params, f.abi and "uint32_t abi" or nil)
  local checked = P .. "_stub_" .. f.name
  -- The checked body is shared by the public entry point and its _nogil twin.
  b.emit("static inline %s", cgen.decl(f.ret.ctype, checked .. "(" .. params .. ")"))
  b.emit("{")
  if inline then
    local void = f.ret.kind == "void"
    b.emit("  %s%s(%s);", void and "" or "return ", header.inline_name(m, f), cgen.args(f.params))
  else
    emit_checks(b, m, f)
    emit_call(b, m, f, build, impl_name(f, build) .. "(" .. cgen.args(f.params) .. ")",
              build == "gil" and f.gil == "take")
  end
  b.emit("}")
  b.emit("")
  local name = f.abi and cgen.checked_name(f) or f.cname
  local args = cgen.args(f.params, f.abi and "abi" or nil)
  b.emit("%sAPI %s", U, cgen.decl(f.ret.ctype, "(" .. name .. ")(" .. params .. ")"))
  b.emit("{")
  if build == "gil" and f.gil == "held" then b.emit("  %s_GIL_CHECK(\"%s\");", U, f.cname) end
  emit_call(b, m, f, build, checked .. "(" .. args .. ")", false)
  b.emit("}")
  b.emit("")
  if f.gil == "held" then
    b.emit("%sAPI %s", U, cgen.decl(f.ret.ctype, cgen.nogil_name(f) .. "(" .. params .. ")"))
    b.emit("{")
    emit_call(b, m, f, build, checked .. "(" .. args .. ")", build == "gil")
    b.emit("}")
    b.emit("")
  end
end

function M.emit_stubs(m, build)
  local b = cgen.buffer()
  cgen.emit_banner(b, m, "c", "the " .. (build == "ft" and "free-threaded" or "GIL") .. " build's stubs of")
  b.emit("")
  if build == "ft" then b.emit("#define %s 1", m.api.guard) end
  b.emit("#include \"%s_impl.h\"", m.api.name)
  b.emit("")
  for _, f in ipairs(m.funcs) do
    if f.builds[build] then emit_stub(b, m, f, build) end
  end
  b.emit("const char *const %s_status_messages[%sSTATUS_COUNT] = {", m.P, m.U)
  b.emit("  \"success\",")
  for _, e in ipairs(m.errors) do b.emit("  \"%s\",", e.message) end
  b.emit("};")
  b.emit("")
  b.emit("/* The build this file was generated for. */")
  b.emit("const %sbuild %s_stub_build = %sBUILD_%s;", m.P, m.P, m.U, build == "ft" and "FREE_THREADED" or "GIL")
  return b.text()
end

-- The implementations' prototypes, so the compiler holds the core to the spec,
-- and the hooks the stubs call.
function M.emit_impl_header(m)
  local b = cgen.buffer()
  local P, U = m.P, m.U
  cgen.emit_banner(b, m, "c", m.api.name .. "_impl.h, the core's side of the stubs of")
  local g = m.api.name:upper() .. "_IMPL_H"
  b.emit("#ifndef %s", g)
  b.emit("#define %s", g)
  b.emit("")
  b.emit("#include <%s/%s.h>", m.api.name, m.api.name)
  b.emit("")
  b.emit("#define %s_HIDDEN __attribute__((visibility(\"hidden\")))", U)
  b.emit("")
  b.emit("/* Hooks the stubs call. */")
  b.emit("%s_HIDDEN int %s_owns(const %sstate *state);", U, P, P)
  b.emit("%s_HIDDEN void *%s_fail_ptr(%sstatus status);", U, P, P)
  b.emit("%s_HIDDEN extern const %sbuild %s_stub_build;", U, P, P)
  b.emit("%s_HIDDEN extern const char *const %s_status_messages[%sSTATUS_COUNT];", U, P, U)
  b.emit("")
  for _, build in ipairs(m.builds) do
    b.emit(build == "ft" and "#ifdef %s" or "#else /* !%s */", m.api.guard)
    if build == "gil" then
      b.emit("%s_HIDDEN int %s_gil_enter(void);        /* 1 if it took the GIL */", U, P)
      b.emit("%s_HIDDEN void %s_gil_leave(int locked);", U, P)
      b.emit("%s_HIDDEN void %s_gil_fatal(const char *function);", U, P)
      b.emit("%s_HIDDEN int %s_gil_held_here(void);", U, P)
      b.emit("#ifdef %sCHECKED", U)
      b.emit("#define %s_GIL_CHECK(fn) do { if (!%s_gil_held_here()) %s_gil_fatal(fn); } while (0)", U, P, P)
      b.emit("#else")
      b.emit("#define %s_GIL_CHECK(fn) ((void)0)", U)
      b.emit("#endif")
    end
    local seen = {}
    for _, f in ipairs(m.funcs) do
      local fn = f.builds[build] and f.impl[build].fn
      if fn and not seen[fn] then
        seen[fn] = true
        b.emit("%s_HIDDEN %s;", U, cgen.decl(f.ret.ctype, fn .. "(" .. cgen.params(f.params) .. ")"))
      end
    end
  end
  b.emit("#endif /* %s */", m.api.guard)
  b.emit("")
  b.emit("#endif /* %s */", g)
  return b.text()
end

return M
