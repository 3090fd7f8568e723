-- emit_swig.lua: the SWIG interface.  It declares the API as the header does,
-- minus what only C can use (the inline fast-path machinery, the ABI-checked
-- entry points, the _nogil twins), so every SWIG host wraps the same functions.
-- Host typemaps and conveniences live in bindings/, %included by the hosts.

local cgen = require "cgen"

local M = {}

function M.emit(m)
  local b = cgen.buffer()
  local U, P = m.U, m.P
  cgen.emit_banner(b, m, "c", m.api.name .. ".i, the SWIG interface of")
  b.emit("%%module %s", m.api.name)
  b.emit("")
  b.emit("%%{")
  b.emit("#define %sNO_INLINE 1", U)
  b.emit("#include <%s/%s.h>", m.api.name, m.api.name)
  b.emit("%%}")
  b.emit("")
  b.emit("%%include <stdint.i>")
  b.emit("")
  b.emit("#define %sVERSION \"%s\"", U, m.api.version)
  b.emit("")
  b.emit("typedef enum %sstatus {", P)
  b.emit("  %sOK = 0,", U)
  for _, e in ipairs(m.errors) do b.emit("  %s = %d,", cgen.error_const(m, e), e.code) end
  b.emit("} %sstatus;", P)
  b.emit("")
  b.emit("typedef enum %sdomain {", P)
  for _, d in ipairs(m.domains) do b.emit("  %s = %d,", cgen.domain_const(m, d), d.index) end
  b.emit("} %sdomain;", P)
  b.emit("#define %sDOMAIN_COUNT %d", U, #m.domains)
  b.emit("")
  for _, t in ipairs(m.types) do
    if t.kind == "opaque" then
      b.emit("typedef struct %s %s;", t.cname, t.cname)
    elseif t.kind == "enum" then
      b.emit("typedef enum %s {", t.cname)
      for _, v in ipairs(t.values) do b.emit("  %s = %d,", v.cname, v.value) end
      b.emit("} %s;", t.cname)
    elseif t.kind == "struct" then
      b.emit("typedef struct %s {", t.cname)
      for _, fl in ipairs(t.fields) do b.emit("  %s;", cgen.decl(fl.ctype, fl.name)) end
      b.emit("} %s;", t.cname)
    else
      b.emit("typedef %s (*%s)(%s);", t.returns, t.cname, cgen.params(t.params))
    end
  end
  b.emit("")
  for _, build in ipairs(m.builds) do
    b.emit(build == "ft" and "#ifdef %s" or "#else", m.api.guard)
    for _, f in ipairs(m.funcs) do
      if f.builds[build] then
        b.emit("%s;", cgen.decl(f.ret.ctype, f.cname .. "(" .. cgen.params(f.params) .. ")"))
      end
    end
  end
  b.emit("#endif")
  return b.text()
end

return M
