-- emit_swig.lua: the SWIG interface, the same for every host.
--
-- It declares what a host may call: the spec's functions, less those the
-- spec keeps for C (swig = false).  Functions that want the GIL are declared
-- by their _nogil twins under the plain name, so a host never has to manage
-- the GIL.  Parameter names carry what the spec says of each parameter, for
-- the host's typemaps (<name>_host.i, found on the host's include path):
--   OUTPUT        dir = "out": the host returns it
--   INOUT         dir = "inout"
--   TRANSFER      ownership moves to the callee (a freed block, an ended state)
--   MOVE          TRANSFER into a domain the call names (a block realloc moves)
--   NULLABLE      a pointer that may be NULL (nil)
--   CALLBACK, CALLBACK_ARG   a callback and the void * after it
-- Every other parameter keeps its own name.

local cgen = require "cgen"

local M = {}

local function swig_name(f, i)
  local p = f.params[i]
  if p.dir == "out" then return "OUTPUT" end
  if p.dir == "inout" then return "INOUT" end
  if p.callback then return "CALLBACK" end
  local prev = f.params[i - 1]
  if prev and prev.callback and p.ctype == "void *" then return "CALLBACK_ARG" end
  if p.ownership == "transfer" then
    for _, q in ipairs(f.params) do if q.is_domain then return "MOVE" end end
    return "TRANSFER"
  end
  if p.pointer and p.nullable then return "NULLABLE" end
  return p.name
end

local function params(f)
  local out = {}
  for i, p in ipairs(f.params) do out[#out + 1] = cgen.decl(p.ctype, swig_name(f, i)) end
  return #out > 0 and table.concat(out, ", ") or "void"
end

function M.emit(m)
  local b = cgen.buffer()
  local U, P, name = m.U, m.P, m.api.name
  cgen.emit_banner(b, m, "c", name .. ".i, the SWIG interface of")
  b.emit("%%module %s", name)
  b.emit("")
  b.emit("%%{")
  b.emit("#define %sNO_INLINE 1", U)
  b.emit("#include <%s/%s.h>", name, name)
  b.emit("%%}")
  b.emit("")
  b.emit("%%include <stdint.i>")
  b.emit("%%include \"%s_host.i\"", name)
  b.emit("")
  b.emit("%%rename(\"%%(strip:[%s])s\") \"\";", P)
  b.emit("%%rename(\"%%(strip:[%s])s\", %%$isenumitem) \"\";", U)
  b.emit("%%rename(\"%%(strip:[%s])s\", %%$isconstant) \"\";", U)
  b.emit("")
  b.emit("#define %sVERSION \"%s\"", U, m.api.version)
  b.emit("")
  cgen.emit_typedefs(b, m, false)
  local function emit_funcs(pred)
    for _, f in ipairs(m.funcs) do
      if f.swig and pred(f) then
        local cname = f.cname
        if f.gil == "held" then
          cname = cgen.nogil_name(f)
          b.emit("%%rename(\"%s\") %s;", f.name, cname)
        end
        b.emit("%s;", cgen.decl(f.ret.ctype, cname .. "(" .. params(f) .. ")"))
      end
    end
  end
  b.emit("")
  emit_funcs(function(f) return f.both end)
  b.emit("")
  b.emit("#ifdef %s", m.api.guard)
  emit_funcs(function(f) return f.builds.ft and not f.both end)
  b.emit("#else")
  emit_funcs(function(f) return f.builds.gil and not f.both end)
  b.emit("#endif")
  return b.text()
end

return M
