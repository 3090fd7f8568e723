-- lua_call.lua: the cost of a block allocated and freed from Lua, through the
-- tsheap module against the hand-written module of lua_handwritten.c.
--   lua_call.lua time N REP          one repetition: N pairs through each
--                                    module, both builds, in one process;
--                                    lines of build, REP, module|hw, ns a pair
--   lua_call.lua summary             reads those lines; per build: module
--                                    ns, hand-written ns (medians), their
--                                    ratio, lowest and highest ratio of a REP
--   lua_call.lua loop BUILD WHICH N  the loop once (BUILD ft|gil, WHICH
--                                    module|hw), for callgrind
-- The modules are found on LUA_CPATH (lua_call.sh sets it).  Lua 5.1 syntax:
-- it runs under LuaJIT too.
--
-- Each repetition is a process of its own: Lua 5.4's collector paces itself
-- on what came before, and a million objects with finalizers shift it enough
-- that a later run in one process can take twice as long as the first.
local mode = arg[1]
local names = {
  ft = { module = "tsheap", hw = "hw" },
  gil = { module = "tsheap.gil", hw = "hw_gil" },
}

-- Each build's library keeps its own current state: one of each, made by the
-- module (the hand-written one allocates from it too).
local states = {}
local function open(build, which)
  local m = require(names[build][which])
  states[build] = states[build] or require(names[build].module).state_create()
  return m
end

-- The same code for both modules.
local function loop(t, n)
  for _ = 1, n do
    local b = t.malloc("raw", 64)
    b:free()
  end
end

local function median(xs)
  table.sort(xs)
  local k = #xs
  return k % 2 == 1 and xs[(k + 1) / 2] or (xs[k / 2] + xs[k / 2 + 1]) / 2
end

if mode == "loop" then
  loop(open(arg[2], arg[3]), assert(tonumber(arg[4])))
elseif mode == "time" then
  local n, rep = assert(tonumber(arg[2])), assert(tonumber(arg[3]))
  -- which goes first alternates, so that what the first run leaves behind
  -- weighs on both alike
  local order = rep % 2 == 1 and { "module", "hw" } or { "hw", "module" }
  for _, build in ipairs({ "ft", "gil" }) do
    for _, which in ipairs(order) do
      local t = open(build, which)
      loop(t, 1000)   -- let LuaJIT compile the loop
      collectgarbage("collect")
      local t0 = os.clock()
      loop(t, n)
      print(("%s\t%d\t%s\t%.2f"):format(build, rep, which, (os.clock() - t0) * 1e9 / n))
    end
  end
elseif mode == "summary" then
  local ns, builds = {}, {}
  for line in io.lines() do
    local build, rep, which, v = line:match("^(%S+)\t(%S+)\t(%S+)\t(%S+)$")
    if not ns[build] then
      ns[build] = {}
      builds[#builds + 1] = build
    end
    ns[build][rep] = ns[build][rep] or {}
    ns[build][rep][which] = tonumber(v)
  end
  for _, build in ipairs(builds) do
    local mod, hw, ratios = {}, {}, {}
    for _, r in pairs(ns[build]) do
      mod[#mod + 1], hw[#hw + 1], ratios[#ratios + 1] = r.module, r.hw, r.module / r.hw
    end
    local m, h = median(mod), median(hw)
    table.sort(ratios)
    print(("%s\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f"):format(build, m, h, m / h, ratios[1], ratios[#ratios]))
  end
else
  error("usage: lua_call.lua time N REP | summary | loop BUILD module|hw N")
end
