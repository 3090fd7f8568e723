-- load.lua: run a spec in a sandbox that holds only the spec's constructors,
-- validate it, and return the model every emitter reads.  Any problem is
-- raised as a SpecError carrying "file:line: error: message".

local hash = require "hash"

local M = {}

local BUILDS = { "ft", "gil" }           -- explicit order: free-threaded first
local INLINE_OPS = {
  malloc = true, zalloc = true, mallocn = true, calloc = true, realloc = true,
  malloc_aligned = true, free = true, block_size = true, gc_due = true, safepoint = true,
}
-- Each inline op: the C types of its parameters (domain = the spec's domain
-- type) and of its result.
local INLINE_SIGS = {
  malloc = { "domain", "size_t", ret = "void *" },
  zalloc = { "domain", "size_t", ret = "void *" },
  mallocn = { "domain", "size_t", "size_t", ret = "void *" },
  calloc = { "domain", "size_t", "size_t", ret = "void *" },
  realloc = { "domain", "void *", "size_t", ret = "void *" },
  malloc_aligned = { "domain", "size_t", "size_t", ret = "void *" },
  free = { "void *", ret = "void" },
  block_size = { "const void *", ret = "size_t" },
  gc_due = { "domain", ret = "int" },
  safepoint = { ret = "void" },
}
-- Names the generated code gives meaning to: parameter names the stubs use for
-- their own locals, C and C++ keywords, and domain names that would collide
-- with the header's DOMAIN_* macros.
local RESERVED_PARAMS = { abi = true, locked = true, r = true }
local KEYWORDS = {}
for w in ([[auto break case char const continue default do double else enum extern float for goto
  if inline int long register restrict return short signed sizeof static struct switch typedef
  union unsigned void volatile while _Bool _Complex _Imaginary _Alignas _Alignof _Atomic
  _Generic _Noreturn _Static_assert _Thread_local bool catch class delete explicit false friend
  mutable namespace new operator private protected public template this throw true try typeid
  typename using virtual]]):gmatch("%S+") do KEYWORDS[w] = true end
local C_WORDS = {
  void = true, char = true, int = true, unsigned = true, long = true, short = true,
  size_t = true, uint32_t = true, uint64_t = true, int64_t = true, const = true,
}

local SpecError = {}
SpecError.__index = SpecError
SpecError.__tostring = function(e) return e.text end
M.SpecError = SpecError

-- An error is one line: control characters from the spec are shown escaped.
local ESCAPES = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
local function fail(file, line, fmt, ...)
  local msg = string.format(fmt, ...):gsub("%c", function(c) return ESCAPES[c] or "\\" .. c:byte() end)
  error(setmetatable({ text = string.format("%s:%d: error: %s", file, line, msg) }, SpecError), 0)
end

-- A value from the spec as a message shows it: never an address, which would
-- change from run to run.
local function show(v)
  local t = type(v)
  if t == "string" or t == "number" or t == "boolean" or t == "nil" then return tostring(v) end
  return "<" .. t .. ">"
end

-- A table's keys as messages show them, in a fixed order.
local function key_names(t)
  local names = {}
  for k in pairs(t) do names[#names + 1] = show(k) end
  table.sort(names)
  return names
end

-- A list the spec gives (values, fields, params, builds): absent, or a table
-- whose items all have the Lua type item.
local function list(file, line, v, what, item)
  if v == nil then return {} end
  local bad = type(v) ~= "table"
  for _, x in ipairs(bad and {} or v) do bad = bad or type(x) ~= item end
  if bad then fail(file, line, "%s must be a list of %ss", what, item) end
  return v
end

-- Documentation and error messages are copied into C comments: a string that
-- neither ends one nor opens one inside it (-Wcomment).
local function comment_text(file, line, what, key, s)
  if s == nil then return "" end
  if type(s) ~= "string" or s:find("*/", 1, true) or s:find("/*", 1, true) then
    fail(file, line, "%s: %s must be a string without '/*' or '*/'", what, key)
  end
  return s
end
local function doc_text(file, line, what, doc) return comment_text(file, line, what, "doc", doc) end

-- A name the spec may give: a C identifier that does not start with '_'
-- (the generator's own names do).
local function is_ident(s)
  return type(s) == "string" and s:match("^[%a][%w_]*$") ~= nil
end

local function version_num(file, line, v, what)
  local a, b, c = tostring(v):match("^(%d+)%.(%d+)%.(%d+)$")
  if not a then fail(file, line, "%s '%s' is not MAJOR.MINOR.PATCH", what, show(v)) end
  return tonumber(a) * 1000000 + tonumber(b) * 1000 + tonumber(c)
end

-- Each constructor accepts these keys and no others; true marks a required key.
local KEYS = {
  api    = { name = true, prefix = true, version = true, guard = true, default_domain = false, doc = false },
  domain = { name = true, doc = true, counted = false },
  error  = { name = true, message = true },
  type   = { name = true, kind = true, doc = true, values = false, fields = false,
             returns = false, params = false },
  func   = { name = true, returns = true, thread = true, since = true, impl = true, doc = true,
             params = false, builds = false, gil = false, abi = false, swig = false },
  param  = { [1] = true, [2] = true, dir = false, nullable = false, ownership = false, doc = false },
  ret    = { [1] = true, kind = true, nullable = false },
}

-- A boolean field: absent is false; anything but true or false is an error
-- (a "yes" or a 0 would otherwise be taken as false, or as true, in silence).
local function flag(file, line, v, what)
  if v ~= nil and type(v) ~= "boolean" then
    fail(file, line, "%s must be true or false, not %s", what, type(v) == "string" and "'" .. v .. "'" or show(v))
  end
  return v == true
end

local function check_keys(file, line, what, t)
  if type(t) ~= "table" then fail(file, line, "%s expects a table", what) end
  local allowed = KEYS[what]
  for _, k in ipairs(key_names(t)) do
    local key = tonumber(k) or k
    if allowed[key] == nil then fail(file, line, "unknown key '%s' in %s", k, what) end
  end
  local need = {}
  for k, req in pairs(allowed) do if req then need[#need + 1] = tostring(k) end end
  table.sort(need)
  for _, k in ipairs(need) do
    if t[tonumber(k) or k] == nil then fail(file, line, "%s is missing '%s'", what, k) end
  end
end

-- Run the spec file; return the raw declarations in order, each with its line.
local function run(file)
  local fh, err = io.open(file, "rb")
  if not fh then error(setmetatable({ text = file .. ":1: error: cannot read spec: " .. err }, SpecError), 0) end
  local source = fh:read("a")
  fh:close()
  local decls = {}
  local env = {}
  for _, what in ipairs({ "api", "domain", "error", "type", "func" }) do
    env[what] = function(t)
      local line = debug.getinfo(2, "l").currentline
      decls[#decls + 1] = { what = what, t = t, line = line }
    end
  end
  local chunk, perr = load(source, "@" .. file, "t", env)
  if not chunk then
    local line, msg = perr:match(":(%d+): (.*)$")
    fail(file, tonumber(line) or 1, "%s", msg or perr)
  end
  -- a spec only declares: one still running after this many instructions
  -- would never end
  debug.sethook(function()
    fail(file, math.max(debug.getinfo(2, "l").currentline, 1), "the spec does not end: an endless loop?")
  end, "", 10000000)
  local ok, rerr = pcall(chunk)
  debug.sethook()
  if not ok then
    if getmetatable(rerr) == SpecError then error(rerr, 0) end
    local line, msg = tostring(rerr):match(":(%d+): (.*)$")
    fail(file, tonumber(line) or 1, "%s", msg or tostring(rerr))
  end
  return decls, source
end

-- The header's upper-case names come from several kinds (domains, errors,
-- enum values) and from the generator itself, and two can spell the same
-- macro (an enum 'e' with a value 'inval' is the error 'inval'): the C
-- compiler would be the first to say so.  Every such name is claimed here,
-- the generator's first, then the api's guards, then the spec's items in
-- line order (a domain 'count' would be the generator's DOMAIN_COUNT).
local GENERATED_MACROS = { "ABI", "API", "DOMAINS_COUNTED", "DOMAIN_ALL", "DOMAIN_BIT", "DOMAIN_COUNT",
                           "DOMAIN_COUNTED", "DOMAIN_DEFAULT", "DOMAIN_NAMES", "FREE_THREADED", "NO_INLINE",
                           "OK", "SPEC_ABI", "STATUS_COUNT", "VERSION", "VERSION_MAJOR", "VERSION_MINOR",
                           "VERSION_PATCH" }

local function check_macro_names(file, m)
  local taken = {}
  for _, n in ipairs(GENERATED_MACROS) do taken[m.U .. n] = "a name the generator defines" end
  local header = m.api.name:upper()
  local names = {
    { line = m.api.line, what = "the header's include guard", c = header .. "_H" },
    { line = m.api.line, what = "the core header's include guard", c = header .. "_IMPL_H" },
    { line = m.api.line, what = "the api's guard macro", c = m.api.guard },
  }
  for _, d in ipairs(m.domains) do
    names[#names + 1] = { line = d.line, what = "domain '" .. d.name .. "'", c = m.U .. "DOMAIN_" .. d.name:upper() }
  end
  for _, e in ipairs(m.errors) do
    names[#names + 1] = { line = e.line, what = "error '" .. e.name .. "'", c = m.U .. "E_" .. e.name:upper() }
  end
  for _, t in ipairs(m.types) do
    for _, v in ipairs(t.values or {}) do
      names[#names + 1] = { line = t.line, what = "enum value '" .. v.name .. "' of '" .. t.name .. "'", c = v.cname }
    end
  end
  for i, n in ipairs(names) do n.order = i end
  table.sort(names, function(a, b) return a.line < b.line or (a.line == b.line and a.order < b.order) end)
  for _, n in ipairs(names) do
    if taken[n.c] then fail(file, n.line, "%s makes %s, which is also %s", n.what, n.c, taken[n.c]) end
    taken[n.c] = ("%s (line %d)"):format(n.what, n.line)
  end
end

function M.load(file)
  local decls, source = run(file)
  local m = { file = file, domains = {}, errors = {}, types = {}, funcs = {}, builds = BUILDS }
  local seen = {}     -- every C-level name, to catch duplicates across kinds
  local function claim(line, kind, name)
    if not is_ident(name) then fail(file, line, "%s name '%s' is not a C identifier", kind, show(name)) end
    -- types and functions share C's ordinary namespace once prefixed; domain,
    -- error and enum constants are upper-cased
    local key = (kind == "type" or kind == "function") and "c:" .. name or kind .. ":" .. name:upper()
    if seen[key] and seen[key].line == 0 then
      fail(file, line, "%s '%s' clashes with a name the generator defines", kind, name)
    elseif seen[key] then
      fail(file, line, "duplicate %s '%s' (first at line %d)", kind, name, seen[key].line)
    end
    seen[key] = { line = line }
  end
  -- the generator's own C names
  seen["c:status"] = { line = 0 }
  seen["c:domain"] = { line = 0 }

  for _, d in ipairs(decls) do
    if d.what == "api" then
      check_keys(file, d.line, "api", d.t)
      if m.api then fail(file, d.line, "duplicate api declaration (first at line %d)", m.api.line) end
      local a = d.t
      for _, k in ipairs({ "name", "guard" }) do
        if not is_ident(a[k]) then fail(file, d.line, "api %s '%s' is not a C identifier", k, show(a[k])) end
      end
      -- -D<guard> turns every use of the word into 1: an upper-case start keeps
      -- it off the C keywords and types and the lower-case names of the outputs
      if not a.guard:match("^%u") then
        fail(file, d.line, "api guard '%s' must start with an upper-case letter: it is a macro", a.guard)
      end
      if not (is_ident(a.prefix) and a.prefix:match("_$")) then
        fail(file, d.line, "api prefix '%s' must be a C identifier ending in '_'", show(a.prefix))
      end
      m.api = { name = a.name, prefix = a.prefix, version = a.version, guard = a.guard,
                default_domain = a.default_domain, doc = doc_text(file, d.line, "api", a.doc), line = d.line,
                version_num = version_num(file, d.line, a.version, "api version") }
      m.api.major, m.api.minor, m.api.patch = a.version:match("^(%d+)%.(%d+)%.(%d+)$")
      m.P = a.prefix                        -- tsheap_
      m.U = a.prefix:upper()                -- TSHEAP_
    elseif not m.api then
      fail(file, d.line, "the api declaration must come first")
    elseif d.what == "domain" then
      check_keys(file, d.line, "domain", d.t)
      claim(d.line, "domain", d.t.name)
      local doc = doc_text(file, d.line, "domain '" .. d.t.name .. "'", d.t.doc)
      m.domains[#m.domains + 1] = { name = d.t.name, doc = doc, counted = flag(file, d.line, d.t.counted, "domain '" .. d.t.name .. "': counted"),
                                    index = #m.domains, line = d.line }
    elseif d.what == "error" then
      check_keys(file, d.line, "error", d.t)
      claim(d.line, "error", d.t.name)
      if type(d.t.message) ~= "string" or d.t.message:find('["\\\n]') then
        fail(file, d.line, "error '%s' needs a one-line message without quotes or backslashes", d.t.name)
      end
      comment_text(file, d.line, "error '" .. d.t.name .. "'", "message", d.t.message)
      m.errors[#m.errors + 1] = { name = d.t.name, message = d.t.message, code = #m.errors + 1, line = d.line }
    elseif d.what == "type" then
      check_keys(file, d.line, "type", d.t)
      claim(d.line, "type", d.t.name)
      m.types[#m.types + 1] = { raw = d.t, line = d.line, name = d.t.name, kind = d.t.kind, order = #m.types + 1,
                                doc = doc_text(file, d.line, "type '" .. d.t.name .. "'", d.t.doc) }
    else
      check_keys(file, d.line, "func", d.t)
      claim(d.line, "function", d.t.name)
      m.funcs[#m.funcs + 1] = { raw = d.t, line = d.line, name = d.t.name }
    end
  end
  if not m.api then fail(file, 1, "the spec declares no api") end
  if #m.domains == 0 then fail(file, m.api.line, "the spec declares no domain") end
  if #m.domains > 16 then fail(file, m.domains[17].line, "at most 16 domains are supported") end

  local domain_by_name = {}
  for _, d in ipairs(m.domains) do domain_by_name[d.name] = d end
  local error_by_name = {}
  for _, e in ipairs(m.errors) do error_by_name[e.name] = e end
  if m.api.default_domain ~= nil and not domain_by_name[m.api.default_domain] then
    fail(file, m.api.line, "undefined domain '%s' as default_domain", show(m.api.default_domain))
  end
  m.default_domain = domain_by_name[m.api.default_domain or m.domains[1].name]

  -- C types a declaration may name: the built-in words plus the spec's own types.
  local ctypes = {}
  for k in pairs(C_WORDS) do ctypes[k] = true end
  ctypes[m.P .. "status"] = true
  ctypes[m.P .. "domain"] = true
  for _, t in ipairs(m.types) do ctypes[m.P .. t.name] = t end
  -- The header declares the spec's types in spec order, so a type's own
  -- declaration (owner) names only those before it.  Without a '*' the type is
  -- a value's, which must be complete: not void (but as a result), not opaque.
  local function check_ctype(line, ctype, what, owner, result)
    if type(ctype) ~= "string" or ctype == "" then fail(file, line, "%s has no C type", what) end
    local value = not ctype:find("*", 1, true)
    for word in ctype:gsub("%*", " "):gmatch("%S+") do
      local t = ctypes[word]
      if not t then fail(file, line, "unknown C type '%s' in %s", word, what) end
      if owner and t ~= true and t.order >= owner.order then
        fail(file, line, "%s names '%s' before its declaration", what, word)
      end
      if value and ((word == "void" and not result) or (t ~= true and t.kind == "opaque")) then
        fail(file, line, "%s has the incomplete type '%s': it needs a '*'", what, ctype)
      end
    end
  end

  -- Names C and the header already give a meaning: a parameter, a field or an
  -- implementation cannot take them (a parameter would hide a type or function).
  local taken = {}
  for k in pairs(KEYWORDS) do taken[k] = true end
  for k in pairs(ctypes) do taken[k] = true end
  for _, f in ipairs(m.funcs) do
    for _, twin in ipairs({ "", "_nogil", "_checked" }) do taken[m.P .. f.name .. twin] = true end
  end
  -- A parameter's or a field's name, once in the list of owner (names).
  local function check_var(line, what, name, names, owner)
    if not is_ident(name) then fail(file, line, "%s name '%s' is not a C identifier", what, show(name)) end
    if names[name] then fail(file, line, "duplicate %s '%s' in '%s'", what, name, owner) end
    if taken[name] then fail(file, line, "%s name '%s' is a C or C++ keyword or a name of the header", what, name) end
    names[name] = true
  end

  for _, t in ipairs(m.types) do
    local r, line = t.raw, t.line
    t.cname = m.P .. t.name
    if t.kind == "enum" then
      local values = list(file, line, r.values, "enum '" .. t.name .. "': values", "table")
      if #values == 0 then fail(file, line, "enum '%s' needs values", t.name) end
      t.values = {}
      local names, nums = {}, {}
      for _, v in ipairs(values) do
        local n, num = v[1], v[2]
        if not is_ident(n) then fail(file, line, "enum value name '%s' is not a C identifier", show(n)) end
        if names[n:upper()] then fail(file, line, "enum value '%s' of '%s' clashes with another", n, t.name) end
        if math.type(num) ~= "integer" then fail(file, line, "enum value '%s' needs an integer", n) end
        if nums[num] then fail(file, line, "duplicate enum number %d in '%s'", num, t.name) end
        names[n:upper()], nums[num] = true, true
        local doc = doc_text(file, line, "enum value '" .. n .. "' of '" .. t.name .. "'", v[3])
        t.values[#t.values + 1] = { name = n, value = num, doc = doc,
                                    cname = m.U .. t.name:upper() .. "_" .. n:upper() }
      end
    elseif t.kind == "struct" then
      local fields = list(file, line, r.fields, "struct '" .. t.name .. "': fields", "table")
      if #fields == 0 then fail(file, line, "struct '%s' needs fields", t.name) end
      t.fields = {}
      local names = {}
      for _, f in ipairs(fields) do
        check_ctype(line, f[1], "field of '" .. t.name .. "'", t)
        check_var(line, "field", f[2], names, t.name)
        local doc = doc_text(file, line, "field '" .. f[2] .. "' of '" .. t.name .. "'", f[3])
        t.fields[#t.fields + 1] = { ctype = f[1], name = f[2], doc = doc }
      end
    elseif t.kind == "callback" then
      check_ctype(line, r.returns, "callback '" .. t.name .. "'", t, true)
      t.returns = r.returns
      t.params = {}
      local names = {}
      for _, p in ipairs(list(file, line, r.params, "callback '" .. t.name .. "': params", "table")) do
        check_ctype(line, p[1], "callback '" .. t.name .. "'", t)
        check_var(line, "parameter", p[2], names, t.name)
        t.params[#t.params + 1] = { ctype = p[1], name = p[2] }
      end
    elseif t.kind ~= "opaque" then
      fail(file, line, "type '%s' has unknown kind '%s'", t.name, show(t.kind))
    end
  end

  -- Each build's implementations: one C prototype per name, so every function
  -- that names one must pass it the same C types.
  local impl_sigs = { ft = {}, gil = {} }

  local RET_KINDS = { status = true, pointer = true, value = true, void = true }
  for _, f in ipairs(m.funcs) do
    local r, line = f.raw, f.line
    f.cname = m.P .. f.name
    f.doc = doc_text(file, line, "function '" .. f.name .. "'", r.doc)
    if r.thread ~= "owner" and r.thread ~= "any" then
      fail(file, line, "function '%s': thread must be \"owner\" or \"any\"", f.name)
    end
    f.thread = r.thread
    f.since = r.since
    if version_num(file, line, r.since, "since") > m.api.version_num then
      fail(file, line, "function '%s' is since %s, newer than the api version %s", f.name, r.since, m.api.version)
    end
    check_keys(file, line, "ret", r.returns)
    if not RET_KINDS[r.returns.kind] then
      fail(file, line, "function '%s' has unknown return kind '%s'", f.name, show(r.returns.kind))
    end
    check_ctype(line, r.returns[1], "return of '" .. f.name .. "'", nil, true)
    f.ret = { ctype = r.returns[1], kind = r.returns.kind, nullable = flag(file, line, r.returns.nullable, "function '" .. f.name .. "': returns.nullable") }
    if f.ret.kind == "status" and f.ret.ctype ~= m.P .. "status" then
      fail(file, line, "function '%s' returns a status but its C type is '%s'", f.name, f.ret.ctype)
    end
    f.params = {}
    local pnames = {}
    for _, p in ipairs(list(file, line, r.params, "function '" .. f.name .. "': params", "table")) do
      check_keys(file, line, "param", p)
      check_ctype(line, p[1], "parameter of '" .. f.name .. "'")
      check_var(line, "parameter", p[2], pnames, f.name)
      if RESERVED_PARAMS[p[2]] or p[2]:match("^ts_") then
        fail(file, line, "parameter name '%s' is reserved for the generated stubs", p[2])
      end
      local dir = p.dir or "in"
      if dir ~= "in" and dir ~= "out" and dir ~= "inout" then
        fail(file, line, "parameter '%s' has unknown dir '%s'", p[2], show(dir))
      end
      local own = p.ownership or "borrowed"
      if own ~= "borrowed" and own ~= "caller" and own ~= "transfer" then
        fail(file, line, "parameter '%s' has unknown ownership '%s'", p[2], show(own))
      end
      local ptr = p[1]:find("%*") ~= nil
      if dir ~= "in" and not ptr then fail(file, line, "out parameter '%s' must be a pointer", p[2]) end
      local base = p[1]:gsub("const", ""):gsub("%*", ""):match("^%s*(.-)%s*$")
      local t = ctypes[base]
      f.params[#f.params + 1] = {
        ctype = p[1], name = p[2], dir = dir, ownership = own,
        doc = doc_text(file, line, "parameter '" .. p[2] .. "' of '" .. f.name .. "'", p.doc),
        nullable = flag(file, line, p.nullable, "parameter '" .. p[2] .. "' of '" .. f.name .. "': nullable"), pointer = ptr,
        is_state = ptr and base == m.P .. "state" and select(2, p[1]:gsub("%*", "")) == 1,
        is_domain = not ptr and base == m.P .. "domain",
        enum = (not ptr and type(t) == "table" and t.kind == "enum") and t or nil,
        callback = (not ptr and type(t) == "table" and t.kind == "callback") and t or nil,
      }
    end
    f.state_param = nil
    for _, p in ipairs(f.params) do if p.is_state then f.state_param = p break end end
    f.gil = r.gil or "none"
    if f.gil ~= "none" and f.gil ~= "held" and f.gil ~= "take" then
      fail(file, line, "function '%s': gil must be \"none\", \"held\" or \"take\"", f.name)
    end
    f.abi = flag(file, line, r.abi, "function '" .. f.name .. "': abi")
    f.swig = r.swig == nil or flag(file, line, r.swig, "function '" .. f.name .. "': swig")
    -- builds and what implements the function in each
    local claimed = list(file, line, r.builds or BUILDS, "function '" .. f.name .. "': builds", "string")
    f.builds = {}
    local valid = { ft = true, gil = true }
    for _, b in ipairs(claimed) do
      if not valid[b] then fail(file, line, "function '%s' claims unknown build '%s'", f.name, b) end
      f.builds[b] = true
    end
    if type(r.impl) ~= "table" then fail(file, line, "function '%s': impl must be a table", f.name) end
    -- the C types the stubs pass an implementation, spaced alike
    local sig = f.ret.ctype
    for _, p in ipairs(f.params) do sig = sig .. ", " .. p.ctype end
    sig = sig:gsub("%*", " * "):gsub("%s+", " ")
    f.impl = {}
    for _, b in ipairs(BUILDS) do
      local v = r.impl[b]
      if f.builds[b] then
        if v == nil then fail(file, line, "function '%s' has no implementation in the %s build", f.name, b) end
        local op = type(v) == "string" and v:match("^inline:(.*)$")
        if op then
          if b ~= "ft" then fail(file, line, "function '%s': inline implementations exist only in the ft build", f.name) end
          if not INLINE_OPS[op] then fail(file, line, "function '%s' names unknown inline op '%s'", f.name, op) end
          f.impl[b] = { inline = op }
        elseif is_ident(v) then
          -- the stub calls it by name, where the stub's parameters and locals
          -- would hide it
          if taken[v] or pnames[v] or RESERVED_PARAMS[v] then
            fail(file, line, "function '%s': impl '%s' for %s is a name the generated C already uses", f.name, v, b)
          end
          local other = impl_sigs[b][v]
          if other and other.sig ~= sig then
            fail(file, line, "function '%s': impl '%s' for %s is also that of '%s' (line %d), with other C types",
                 f.name, v, b, other.f.name, other.f.line)
          end
          impl_sigs[b][v] = other or { sig = sig, f = f }
          f.impl[b] = { fn = v }
        else
          fail(file, line, "function '%s': impl for %s is not a C identifier", f.name, b)
        end
      elseif v ~= nil then
        fail(file, line, "function '%s' has an implementation for %s, a build it does not claim", f.name, b)
      end
    end
    for _, k in ipairs(key_names(r.impl)) do
      if not valid[k] then fail(file, line, "function '%s': impl names unknown build '%s'", f.name, k) end
    end
    f.both = f.builds.ft and f.builds.gil
    local op = f.impl.ft and f.impl.ft.inline
    if op then
      local sig = INLINE_SIGS[op]
      local want, have = {}, {}
      for i, ty in ipairs(sig) do want[i] = ty == "domain" and m.P .. "domain" or ty end
      for i, p in ipairs(f.params) do have[i] = p.ctype end
      if table.concat(want, ", ") ~= table.concat(have, ", ") or f.ret.ctype ~= sig.ret then
        fail(file, line, "function '%s': inline op '%s' is %s (%s)", f.name, op, sig.ret, table.concat(want, ", "))
      end
    end
  end

  -- the twins the generator adds: <name>_nogil and <name>_checked
  for _, f in ipairs(m.funcs) do
    for _, twin in ipairs({ f.gil == "held" and "_nogil" or false, f.abi and "_checked" or false }) do
      local other = twin and seen["c:" .. f.name .. twin]
      if other then
        fail(file, other.line, "function '%s' clashes with the %s twin of '%s'", f.name .. twin, twin, f.name)
      end
    end
  end

  -- what the generated checks return, and what the stubs name
  local function need_error(name, why, line)
    if not error_by_name[name] then fail(file, line, "the spec needs error '%s' for %s", name, why) end
  end
  for _, f in ipairs(m.funcs) do
    for _, p in ipairs(f.params) do
      if (p.pointer or p.callback) and not p.nullable then need_error("inval", "the NULL check of '" .. f.name .. "'", f.line) end
      if p.enum then need_error("inval", "the range check of '" .. f.name .. "'", f.line) end
      if p.is_domain then need_error("domain", "the domain check of '" .. f.name .. "'", f.line) end
    end
    if f.thread == "owner" and f.state_param then need_error("not_owner", "the owner check of '" .. f.name .. "'", f.line) end
    if f.abi then need_error("abi", "the ABI check of '" .. f.name .. "'", f.line) end
  end
  -- the types the stubs and their hooks name
  local build_type = ctypes[m.P .. "build"]
  local bv = {}
  for _, v in ipairs(build_type and build_type.values or {}) do bv[v.name] = v.value end
  if not build_type or build_type.kind ~= "enum" or bv.gil ~= 1 or bv.free_threaded ~= 2 then
    fail(file, m.api.line, "the spec needs an enum type 'build' with values gil = 1 and free_threaded = 2")
  end
  local state_type = ctypes[m.P .. "state"]
  if not state_type or state_type.kind ~= "opaque" then
    fail(file, m.api.line, "the spec needs an opaque type 'state' for the thread states")
  end

  check_macro_names(file, m)

  m.source_hash = hash.hex64(source)
  m.abi_hash = M.abi_hash(m)
  m.counted_mask = 0
  for _, d in ipairs(m.domains) do if d.counted then m.counted_mask = m.counted_mask | (1 << d.index) end end
  m.error_by_name, m.domain_by_name = error_by_name, domain_by_name
  return m
end

-- The layout of the free-threaded inline fast paths that emit_header.lua
-- writes (the TLS view, the names they call): a compiled caller reads it
-- directly, so a change to it is a new ABI whatever the spec says.
local FAST_PATH_LAYOUT = 4

-- The ABI tag covers what a compiled caller depends on: domains, error codes,
-- types and signatures, and the fast paths' layout, but not the documentation.
function M.abi_hash(m)
  local parts = { m.api.name, m.api.prefix, m.api.guard, m.api.version:match("^(%d+)"),
                  "layout" .. FAST_PATH_LAYOUT }
  for _, d in ipairs(m.domains) do parts[#parts + 1] = "d" .. d.name .. (d.counted and "+" or "") end
  for _, e in ipairs(m.errors) do parts[#parts + 1] = "e" .. e.name end
  for _, t in ipairs(m.types) do
    parts[#parts + 1] = "t" .. t.name .. ":" .. t.kind
    for _, v in ipairs(t.values or {}) do parts[#parts + 1] = v.name .. "=" .. v.value end
    for _, fl in ipairs(t.fields or {}) do parts[#parts + 1] = fl.ctype .. " " .. fl.name end
    for _, p in ipairs(t.params or {}) do parts[#parts + 1] = p.ctype end
  end
  for _, f in ipairs(m.funcs) do
    parts[#parts + 1] = "f" .. f.name .. ":" .. f.ret.ctype
    for _, p in ipairs(f.params) do parts[#parts + 1] = p.ctype end
  end
  return hash.u32(table.concat(parts, "\n"))
end

return M
