-- lua_call.lua: the cost of a block allocated and freed from Lua, through the
-- tsheap module against the hand-written module of lua_handwritten.c.
--   lua_call.lua time N REP          one repetition: N pairs through each
--                                    module, both builds, in one process
--   lua_call.lua summary             reads raw.tsv lines (time's and
--                                    lua_call.sh instr's, with the repetition
--                                    first) and prints a Markdown table
--   lua_call.lua loop BUILD WHICH N  the loop once (BUILD ft|gil, WHICH
--                                    module|hw), for callgrind
-- time prints the lines of bench/clock.h's report(): workload lua_call,
-- peer module or hand-written, configuration INTERPRETER/BUILD (lua5.4 or
-- luajit; tsheap-ft or tsheap-gil), unit ns, the CPU time a pair.
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
local PEER = { module = "module", hw = "hand-written" }
local BUILD = { ft = "tsheap-ft", gil = "tsheap-gil" }
local INTERP = jit and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))

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
  if k == 0 then return nil end
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
      print(("lua_call\t%s\t%s/%s\tns\t%.4f"):format(PEER[which], INTERP, BUILD[build], (os.clock() - t0) * 1e9 / n))
    end
  end
elseif mode == "summary" then
  local v, configs = {}, {}   -- v[config][peer][rep] = value
  for line in io.lines() do
    local rep, peer, config, value = line:match("^(%d+)\tlua_call\t([^\t]+)\t([^\t]+)\t[^\t]+\t([^\t]+)$")
    if rep then
      if not v[config] then
        v[config] = { module = {}, ["hand-written"] = {} }
        if not config:match("^instr/") then configs[#configs + 1] = config end
      end
      v[config][peer][tonumber(rep)] = tonumber(value)
    end
  end
  local function values(c, p)
    local xs = {}
    for _, x in pairs(c and c[p] or {}) do xs[#xs + 1] = x end
    return xs
  end
  local function fmt(f, x) return x and f:format(x) or "n/a" end
  print("| interpreter | build | module ns | hand-written ns | ratio (range) | module instructions | hand-written instructions | ratio |")
  print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
  for _, config in ipairs(configs) do
    local ns, instr = v[config], v["instr/" .. config]
    local ratios = {}
    for rep, m in pairs(ns.module) do
      if ns["hand-written"][rep] then ratios[#ratios + 1] = m / ns["hand-written"][rep] end
    end
    table.sort(ratios)
    local m, h = median(values(ns, "module")), median(values(ns, "hand-written"))
    local im, ih = median(values(instr, "module")), median(values(instr, "hand-written"))
    local interp, build = config:match("^(.-)/(.*)$")
    print(("| %s | %s | %s | %s | %s (%s-%s) | %s | %s | %s |"):format(interp, build, fmt("%.1f", m), fmt("%.1f", h),
      fmt("%.2fx", m and h and m / h), fmt("%.2f", ratios[1]), fmt("%.2f", ratios[#ratios]),
      fmt("%.0f", im), fmt("%.0f", ih), fmt("%.2fx", im and ih and im / ih)))
  end
else
  error("usage: lua_call.lua time N REP | summary | loop BUILD module|hw N")
end
