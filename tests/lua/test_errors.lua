-- test_errors.lua MODULE: every function of the module and every method of
-- its objects, called with every mix of up to three wrong or right values,
-- either works or raises a string that starts with the function's own name:
-- "tsheap.gil.malloc: ...", never "bad argument #1 to '?'".
local T = require "check"
local check = T.check
local name = arg[1] or "tsheap"
local t = require(name)

local st = t.state_create()
t.state_switch(st)
local lua = t.luastate()

-- name -> function, for each function a user can reach
local reach = {}
for k, f in pairs(t) do
  if type(f) == "function" then reach[name .. "." .. k] = f end
end
local function methods(obj, class)
  for k, f in pairs(getmetatable(obj).__index) do
    -- a state's methods are the module's state_* functions themselves
    local same = t["state_" .. k] == f or (k == "close" and t.state_end == f)
    if not same then reach[class .. ":" .. k] = f end
  end
end
methods(st, name .. ".state")
methods(t.malloc("raw", 8), name .. ".block")
methods(lua, name .. ".luastate")
check(reach[name .. ".block:read"] and reach[name .. ".luastate:run"] and reach[name .. ".malloc"],
      "the functions are found")

-- values of every kind; a fresh state, block and luastate for each function,
-- since a call may end or free them
local function values()
  local s = t.state_create()
  return { nil, true, -1, 1.5, 2 ^ 60, 0, 3, "raw", "raw\0", "x", "return 1", {}, { cap = -1 },
           function() end, s, t.state_malloc(s, "gc", 8), t.malloc("raw", 16), t.luastate() }, 18
end

local calls, failures, wrong = 0, 0, {}
local function try(fname, f, args, n)
  calls = calls + 1
  local ok, err = pcall(f, table.unpack(args, 1, n))
  if ok then return end
  failures = failures + 1
  if type(err) ~= "string" or err:sub(1, #fname + 2) ~= fname .. ": " then
    wrong[#wrong + 1] = fname .. " -> " .. tostring(err)
  end
end

local names = {}
for k in pairs(reach) do names[#names + 1] = k end
table.sort(names)
table.unpack = table.unpack or unpack
for _, fname in ipairs(names) do
  local f = reach[fname]
  local v, nv = values()
  try(fname, f, {}, 0)
  for i = 1, nv do
    try(fname, f, { v[i] }, 1)
    for j = 1, nv do
      try(fname, f, { v[i], v[j] }, 2)
      for k = 1, nv, 2 do try(fname, f, { v[i], v[j], v[k] }, 3) end
    end
  end
  t.state_switch(st)
  collectgarbage()
end
for i = 1, math.min(#wrong, 20) do io.stderr:write("unnamed: ", wrong[i], "\n") end
check(#wrong == 0, #wrong .. " of " .. failures .. " errors do not start with their function's name")
check(failures > 10000 and calls > failures, calls .. " calls, " .. failures .. " errors")
print(calls .. " calls, " .. failures .. " errors, " .. #names .. " functions")

-- the names are the module's own, not the other build's
local other = require(name == "tsheap" and "tsheap.gil" or "tsheap")
local ok, err = pcall(other.malloc, "raw", -1)
local want = other.build == "gil" and "^tsheap%.gil%.malloc: " or "^tsheap%.malloc: "
check(not ok and err:find(want), err)
T.done()
