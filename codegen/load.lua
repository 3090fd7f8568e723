-- load.lua: run a spec in a sandbox that holds only the spec's constructors,
-- validate it, and return the model every emitter reads.  Any problem is
-- raised as a SpecError carrying "file:line: error: message".

local hash = require "hash"

local M = {}

local BUILDS = { "ft", "gil" }           -- explicit order: free-threaded first
local INLINE_OPS = {
  malloc = true, zalloc = true, mallocn = true, calloc = true, realloc = true,
  malloc_aligned = true, free = true, block_size = true, gc_due = true,
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
local RESERVED_DOMAINS = { count = true, all = true, default = true, names = true, bit = true,
                           counted = true }
local C_WORDS = {
  void = true, char = true, int = true, unsigned = true, long = true, short = true,
  size_t = true, uint32_t = true, uint64_t = true, int64_t = true, const = true,
}

local SpecError = {}
SpecError.__index = SpecError
SpecError.__tostring = function(e) return e.text end
M.SpecError = SpecError

local function fail(file, line, fmt, ...)
  error(setmetatable({ text = string.format("%s:%d: error: " .. fmt, file, line, ...) }, SpecError), 0)
end

-- A name the spec may give: a C identifier that does not start with '_'
-- (the generator's own names do).
local function is_ident(s)
  return type(s) == "string" and s:match("^[%a][%w_]*$") ~= nil
end

local function version_num(file, line, v, what)
  local a, b, c = tostring(v):match("^(%d+)%.(%d+)%.(%d+)$")
  if not a then fail(file, line, "%s '%s' is not MAJOR.MINOR.PATCH", what, tostring(v)) end
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

local function check_keys(file, line, what, t)
  if type(t) ~= "table" then fail(file, line, "%s expects a table", what) end
  local allowed = KEYS[what]
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for _, k in ipairs(keys) do
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
  local ok, rerr = pcall(chunk)
  if not ok then
    if getmetatable(rerr) == SpecError then error(rerr, 0) end
    local line, msg = tostring(rerr):match(":(%d+): (.*)$")
    fail(file, tonumber(line) or 1, "%s", msg or tostring(rerr))
  end
  return decls, source
end

function M.load(file)
  local decls, source = run(file)
  local m = { file = file, domains = {}, errors = {}, types = {}, funcs = {}, builds = BUILDS }
  local seen = {}     -- every C-level name, to catch duplicates across kinds
  local function claim(line, kind, name)
    if not is_ident(name) then fail(file, line, "%s name '%s' is not a C identifier", kind, tostring(name)) end
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
        if not is_ident(a[k]) then fail(file, d.line, "api %s '%s' is not a C identifier", k, tostring(a[k])) end
      end
      if not (is_ident(a.prefix) and a.prefix:match("_$")) then
        fail(file, d.line, "api prefix '%s' must be a C identifier ending in '_'", tostring(a.prefix))
      end
      m.api = { name = a.name, prefix = a.prefix, version = a.version, guard = a.guard,
                default_domain = a.default_domain, doc = a.doc or "", line = d.line,
                version_num = version_num(file, d.line, a.version, "api version") }
      m.api.major, m.api.minor, m.api.patch = a.version:match("^(%d+)%.(%d+)%.(%d+)$")
      m.P = a.prefix                        -- tsheap_
      m.U = a.prefix:upper()                -- TSHEAP_
    elseif not m.api then
      fail(file, d.line, "the api declaration must come first")
    elseif d.what == "domain" then
      check_keys(file, d.line, "domain", d.t)
      claim(d.line, "domain", d.t.name)
      if RESERVED_DOMAINS[d.t.name:lower()] then
        fail(file, d.line, "domain name '%s' is reserved: the header defines %sDOMAIN_%s", d.t.name,
             m.U, d.t.name:upper())
      end
      m.domains[#m.domains + 1] = { name = d.t.name, doc = d.t.doc, counted = d.t.counted == true,
                                    index = #m.domains, line = d.line }
    elseif d.what == "error" then
      check_keys(file, d.line, "error", d.t)
      claim(d.line, "error", d.t.name)
      if type(d.t.message) ~= "string" or d.t.message:find('["\\\n]') then
        fail(file, d.line, "error '%s' needs a one-line message without quotes or backslashes", d.t.name)
      end
      m.errors[#m.errors + 1] = { name = d.t.name, message = d.t.message, code = #m.errors + 1, line = d.line }
    elseif d.what == "type" then
      check_keys(file, d.line, "type", d.t)
      claim(d.line, "type", d.t.name)
      m.types[#m.types + 1] = { raw = d.t, line = d.line, name = d.t.name, kind = d.t.kind, doc = d.t.doc }
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
    fail(file, m.api.line, "undefined domain '%s' as default_domain", tostring(m.api.default_domain))
  end
  m.default_domain = domain_by_name[m.api.default_domain or m.domains[1].name]

  -- C types a declaration may name: the built-in words plus the spec's own types.
  local ctypes = {}
  for k in pairs(C_WORDS) do ctypes[k] = true end
  ctypes[m.P .. "status"] = true
  ctypes[m.P .. "domain"] = true
  for _, t in ipairs(m.types) do ctypes[m.P .. t.name] = t end
  local function check_ctype(line, ctype, what)
    if type(ctype) ~= "string" or ctype == "" then fail(file, line, "%s has no C type", what) end
    for word in ctype:gsub("%*", " "):gmatch("%S+") do
      if not ctypes[word] then fail(file, line, "unknown C type '%s' in %s", word, what) end
    end
  end

  for _, t in ipairs(m.types) do
    local r, line = t.raw, t.line
    t.cname = m.P .. t.name
    if t.kind == "enum" then
      if type(r.values) ~= "table" or #r.values == 0 then fail(file, line, "enum '%s' needs values", t.name) end
      t.values = {}
      local names, nums = {}, {}
      for _, v in ipairs(r.values) do
        local n, num, doc = v[1], v[2], v[3]
        if not is_ident(n) then fail(file, line, "enum value name '%s' is not a C identifier", tostring(n)) end
        if names[n:upper()] then fail(file, line, "enum value '%s' of '%s' clashes with another", n, t.name) end
        if math.type(num) ~= "integer" then fail(file, line, "enum value '%s' needs an integer", n) end
        if nums[num] then fail(file, line, "duplicate enum number %d in '%s'", num, t.name) end
        names[n:upper()], nums[num] = true, true
        t.values[#t.values + 1] = { name = n, value = num, doc = doc or "",
                                    cname = m.U .. t.name:upper() .. "_" .. n:upper() }
      end
    elseif t.kind == "struct" then
      if type(r.fields) ~= "table" or #r.fields == 0 then fail(file, line, "struct '%s' needs fields", t.name) end
      t.fields = {}
      local names = {}
      for _, f in ipairs(r.fields) do
        check_ctype(line, f[1], "field of '" .. t.name .. "'")
        if not is_ident(f[2]) then fail(file, line, "field name '%s' is not a C identifier", tostring(f[2])) end
        if names[f[2]] then fail(file, line, "duplicate field '%s' in '%s'", f[2], t.name) end
        names[f[2]] = true
        t.fields[#t.fields + 1] = { ctype = f[1], name = f[2], doc = f[3] or "" }
      end
    elseif t.kind == "callback" then
      check_ctype(line, r.returns, "callback '" .. t.name .. "'")
      t.returns = r.returns
      t.params = {}
      for _, p in ipairs(r.params or {}) do
        check_ctype(line, p[1], "callback '" .. t.name .. "'")
        if not is_ident(p[2]) then fail(file, line, "parameter name '%s' is not a C identifier", tostring(p[2])) end
        t.params[#t.params + 1] = { ctype = p[1], name = p[2] }
      end
    elseif t.kind ~= "opaque" then
      fail(file, line, "type '%s' has unknown kind '%s'", t.name, tostring(t.kind))
    end
  end

  local RET_KINDS = { status = true, pointer = true, value = true, void = true }
  for _, f in ipairs(m.funcs) do
    local r, line = f.raw, f.line
    f.cname = m.P .. f.name
    f.doc = r.doc
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
      fail(file, line, "function '%s' has unknown return kind '%s'", f.name, tostring(r.returns.kind))
    end
    check_ctype(line, r.returns[1], "return of '" .. f.name .. "'")
    f.ret = { ctype = r.returns[1], kind = r.returns.kind, nullable = r.returns.nullable == true }
    if f.ret.kind == "status" and f.ret.ctype ~= m.P .. "status" then
      fail(file, line, "function '%s' returns a status but its C type is '%s'", f.name, f.ret.ctype)
    end
    f.params = {}
    local pnames = {}
    for _, p in ipairs(r.params or {}) do
      check_keys(file, line, "param", p)
      check_ctype(line, p[1], "parameter of '" .. f.name .. "'")
      if not is_ident(p[2]) then fail(file, line, "parameter name '%s' is not a C identifier", tostring(p[2])) end
      if pnames[p[2]] then fail(file, line, "duplicate parameter '%s' in '%s'", p[2], f.name) end
      if KEYWORDS[p[2]] then fail(file, line, "parameter name '%s' is a C or C++ keyword", p[2]) end
      if RESERVED_PARAMS[p[2]] or p[2]:match("^ts_") then
        fail(file, line, "parameter name '%s' is reserved for the generated stubs", p[2])
      end
      pnames[p[2]] = true
      local dir = p.dir or "in"
      if dir ~= "in" and dir ~= "out" and dir ~= "inout" then
        fail(file, line, "parameter '%s' has unknown dir '%s'", p[2], dir)
      end
      local own = p.ownership or "borrowed"
      if own ~= "borrowed" and own ~= "caller" and own ~= "transfer" then
        fail(file, line, "parameter '%s' has unknown ownership '%s'", p[2], own)
      end
      local ptr = p[1]:find("%*") ~= nil
      if dir ~= "in" and not ptr then fail(file, line, "out parameter '%s' must be a pointer", p[2]) end
      local base = p[1]:gsub("const", ""):gsub("%*", ""):match("^%s*(.-)%s*$")
      local t = ctypes[base]
      f.params[#f.params + 1] = {
        ctype = p[1], name = p[2], dir = dir, ownership = own, doc = p.doc or "",
        nullable = p.nullable == true, pointer = ptr,
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
    f.abi = r.abi == true
    if r.swig ~= nil and type(r.swig) ~= "boolean" then
      fail(file, line, "function '%s': swig must be true or false", f.name)
    end
    f.swig = r.swig ~= false
    -- builds and what implements the function in each
    local claimed = r.builds or BUILDS
    f.builds = {}
    local valid = { ft = true, gil = true }
    for _, b in ipairs(claimed) do
      if not valid[b] then fail(file, line, "function '%s' claims unknown build '%s'", f.name, tostring(b)) end
      f.builds[b] = true
    end
    if type(r.impl) ~= "table" then fail(file, line, "function '%s': impl must be a table", f.name) end
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
          f.impl[b] = { fn = v }
        else
          fail(file, line, "function '%s': impl for %s is not a C identifier", f.name, b)
        end
      elseif v ~= nil then
        fail(file, line, "function '%s' has an implementation for %s, a build it does not claim", f.name, b)
      end
    end
    for k in pairs(r.impl) do
      if not valid[k] then fail(file, line, "function '%s': impl names unknown build '%s'", f.name, tostring(k)) end
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
  local build_type
  for _, t in ipairs(m.types) do if t.name == "build" then build_type = t end end
  local bv = {}
  for _, v in ipairs(build_type and build_type.values or {}) do bv[v.name] = v.value end
  if not build_type or build_type.kind ~= "enum" or bv.gil ~= 1 or bv.free_threaded ~= 2 then
    fail(file, m.api.line, "the spec needs an enum type 'build' with values gil = 1 and free_threaded = 2")
  end

  m.source_hash = hash.hex64(source)
  m.abi_hash = M.abi_hash(m)
  m.counted_mask = 0
  for _, d in ipairs(m.domains) do if d.counted then m.counted_mask = m.counted_mask | (1 << d.index) end end
  m.error_by_name, m.domain_by_name = error_by_name, domain_by_name
  return m
end

-- The ABI tag covers what a compiled caller depends on: domains, error codes,
-- types and signatures, but not the documentation.
function M.abi_hash(m)
  local parts = { m.api.name, m.api.prefix, m.api.guard, m.api.version:match("^(%d+)") }
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
