-- emit_man.lua: the C API's man page, <name>(3).

local cgen = require "cgen"

local M = {}

-- Text as roff: backslashes escaped, no line starting with a control character.
local function roff(s)
  s = (s or ""):gsub("\\", "\\e"):gsub("%s*\n%s*", " ")
  if s:match("^[.']") then s = "\\&" .. s end
  return s
end

function M.emit(m)
  local b = cgen.buffer()
  local U, name = m.U, m.api.name
  for _, l in ipairs(cgen.banner(m, '.\\"', '.\\"', "", name .. "(3), the man page of")) do b.emit("%s", l) end
  b.emit('.TH %s 3 "" "%s %s" "%s API"', name:upper(), name, m.api.version, name)
  b.emit(".SH NAME")
  b.emit("%s \\- %s", name, roff(m.api.doc:match("^[^.:]*")))
  b.emit(".SH SYNOPSIS")
  b.emit(".nf")
  b.emit(".B #include <%s/%s.h>", name, name)
  b.emit(".sp")
  for _, f in ipairs(m.funcs) do
    b.emit("%s;", roff(cgen.decl(f.ret.ctype, f.cname .. "(" .. cgen.params(f.params) .. ")")))
  end
  b.emit(".fi")
  b.emit(".SH DESCRIPTION")
  b.emit("%s", roff(m.api.doc))
  b.emit(".PP")
  b.emit("Define")
  b.emit(".B %s", m.api.guard)
  b.emit("and link")
  b.emit(".B \\-l%st", name)
  b.emit("for the free-threaded build; link")
  b.emit(".B \\-l%s", name)
  b.emit("for the GIL build.")
  b.emit(".SS Domains")
  for _, d in ipairs(m.domains) do
    b.emit(".TP")
    b.emit(".B %s", cgen.domain_const(m, d))
    b.emit("%s%s", roff(d.doc), d.counted and " Allocations are counted." or "")
  end
  b.emit(".SH FUNCTIONS")
  for _, f in ipairs(m.funcs) do
    b.emit(".TP")
    b.emit(".BR %s ()", f.cname)
    b.emit("%s", roff(f.doc))
    local builds = {}
    for _, bd in ipairs(m.builds) do
      if f.builds[bd] then builds[#builds + 1] = bd == "ft" and "free-threaded" or "GIL" end
    end
    b.emit("Thread: %s.  Builds: %s.  Since %s.", f.thread == "owner" and "the state's owner" or "any",
           table.concat(builds, ", "), f.since)
    if f.gil == "held" then
      b.emit("In the GIL build the caller holds the GIL, or calls")
      b.emit(".BR %s ().", cgen.nogil_name(f))
    end
  end
  b.emit(".SH RETURN VALUE")
  b.emit("Functions that return")
  b.emit(".B %sstatus", m.P)
  b.emit("give")
  b.emit(".B %sOK", U)
  b.emit("(0) or one of the codes below; functions that return a block give NULL on failure, and")
  b.emit(".BR %slast_error ()", m.P)
  b.emit("tells why.")
  b.emit(".SH ERRORS")
  for _, e in ipairs(m.errors) do
    b.emit(".TP")
    b.emit(".B %s", cgen.error_const(m, e))
    b.emit("%s", roff(e.message))
  end
  b.emit(".SH SEE ALSO")
  b.emit(".BR %s\\-gen (1)", name)
  return b.text()
end

return M
