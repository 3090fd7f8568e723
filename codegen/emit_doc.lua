-- emit_doc.lua: the Markdown API reference.

local cgen = require "cgen"

local M = {}

local BUILD_NAMES = { ft = "free-threaded", gil = "GIL" }

local function one_line(s) return ((s or ""):gsub("%s*\n%s*", " ")) end

function M.emit(m)
  local b = cgen.buffer()
  local U, P = m.U, m.P
  cgen.emit_banner(b, m, "md", "API reference of")
  b.emit("")
  b.emit("# %s %s API reference", m.api.name, m.api.version)
  b.emit("")
  b.emit("%s", one_line(m.api.doc))
  b.emit("")
  b.emit("Header: `#include <%s/%s.h>`.  Define `%s` to compile against the free-threaded", m.api.name,
         m.api.name, m.api.guard)
  b.emit("build (`lib%st`); leave it undefined for the GIL build (`lib%s`).", m.api.name, m.api.name)
  b.emit("")
  b.emit("## Domains")
  b.emit("")
  b.emit("| constant | value | counted | use |")
  b.emit("| --- | --- | --- | --- |")
  for _, d in ipairs(m.domains) do
    b.emit("| `%s` | %d | %s | %s |", cgen.domain_const(m, d), d.index, d.counted and "yes" or "no", d.doc)
  end
  b.emit("")
  b.emit("`%sDOMAIN_DEFAULT` is `%s`.", U, cgen.domain_const(m, m.default_domain))
  b.emit("")
  b.emit("## Status codes")
  b.emit("")
  b.emit("| constant | value | message |")
  b.emit("| --- | --- | --- |")
  b.emit("| `%sOK` | 0 | success |", U)
  for _, e in ipairs(m.errors) do b.emit("| `%s` | %d | %s |", cgen.error_const(m, e), e.code, e.message) end
  b.emit("")
  b.emit("## Types")
  b.emit("")
  for _, t in ipairs(m.types) do
    b.emit("### `%s` (%s)", t.cname, t.kind)
    b.emit("")
    b.emit("%s", one_line(t.doc))
    b.emit("")
    for _, v in ipairs(t.values or {}) do b.emit("- `%s` = %d: %s", v.cname, v.value, v.doc) end
    for _, fl in ipairs(t.fields or {}) do b.emit("- `%s`: %s", cgen.decl(fl.ctype, fl.name), fl.doc) end
    if t.kind == "callback" then b.emit("`typedef %s (*%s)(%s);`", t.returns, t.cname, cgen.params(t.params)) end
    if t.values or t.fields or t.kind == "callback" then b.emit("") end
  end
  b.emit("## Functions")
  b.emit("")
  for _, f in ipairs(m.funcs) do
    b.emit("### `%s`", f.cname)
    b.emit("")
    b.emit("```c")
    b.emit("%s;", cgen.decl(f.ret.ctype, f.cname .. "(" .. cgen.params(f.params) .. ")"))
    b.emit("```")
    b.emit("")
    b.emit("%s", one_line(f.doc))
    b.emit("")
    local builds = {}
    for _, bd in ipairs(m.builds) do
      if f.builds[bd] then
        builds[#builds + 1] = BUILD_NAMES[bd] .. (f.impl[bd].inline and " (inline)" or "")
      end
    end
    local gil = f.gil == "held" and "; GIL build: hold the GIL, or call `" .. cgen.nogil_name(f) .. "`"
             or f.gil == "take" and "; GIL build: takes the GIL itself" or ""
    b.emit("- Thread: %s%s", f.thread == "owner" and "the owner of the state" or "any", gil)
    b.emit("- Builds: %s; since %s", table.concat(builds, ", "), f.since)
    for _, p in ipairs(f.params) do
      local notes = { p.dir }
      if p.pointer then notes[#notes + 1] = p.nullable and "may be NULL" or "not NULL" end
      if p.ownership ~= "borrowed" then notes[#notes + 1] = "ownership: " .. p.ownership end
      b.emit("- `%s` (%s)%s", p.name, table.concat(notes, ", "), p.doc ~= "" and ": " .. p.doc or "")
    end
    local rk = { status = "a status code", pointer = "a pointer, NULL on failure (see `" .. P .. "last_error`)",
                 value = "a value", void = "nothing" }
    b.emit("- Returns %s", rk[f.ret.kind])
    b.emit("")
  end
  return b.text()
end

return M
