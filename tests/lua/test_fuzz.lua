-- test_fuzz.lua MODULE [CALLS] [SEED]: a bounded random sequence of calls,
-- valid and invalid mixed, with a fixed seed.  Every call is made under
-- pcall; the run must end without a crash, and with every open domain of
-- every open state back to zero live blocks once the blocks are freed.
-- Some calls start threads that run the same fuzzer at once (with "nested"
-- as a fourth argument: it returns its failures instead of exiting).
local T = require "check"
local check = T.check
local name = arg[1] or "tsheap"
local calls = tonumber(arg[2]) or 5000
local seed = tonumber(arg[3]) or 20261123
local nested = arg[4] == "nested"
local script = debug.getinfo(1, "S").source:sub(2)
local t = require(name)

-- a PRNG that gives the same numbers on Lua 5.4 and LuaJIT
local function rand(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return math.floor(seed / 65536) % n + 1
end
local function pick(list) return list[rand(#list)] end

local domains = { "raw", "object", "gc", 0, 1, 2, "none", 7, -1, 1.5, {}, nil }
local sizes = { 0, 1, 8, 16, 100, 512, 513, 4096, 100000, -1, 2.5, 1e300, 2 ^ 60, "big", nil, true }
-- counts for calloc: with sizes, products up to 10 MB or past SIZE_MAX (calloc
-- fills what it gets: 100000 * 100000 would commit 10 GB per call)
local counts = { 0, 1, 3, 100, -1, 2.5, 2 ^ 60, "big", nil }
local modes = { "release", "discard", "explode", 1 }
local states, blocks, hosts = {}, {}, {}
local made = setmetatable({}, { __mode = "k" })   -- host -> its options, for the hosts made so
local dumped = string.dump(function(...) return select("#", ...) end)
local function corrupt(chunk)   -- one byte changed at random
  local at = rand(#chunk)
  return chunk:sub(1, at - 1) .. string.char((chunk:byte(at) + rand(255)) % 256) .. chunk:sub(at + 1)
end
if nested then states[1] = t.state_create() end

local ops = {
  function() states[#states + 1] = t.state_create(rand(3) == 1 and { pick(domains) } or nil) end,
  function() t.state_switch(rand(4) == 1 and nil or pick(states)) end,
  function() blocks[#blocks + 1] = t.malloc(pick(domains), pick(sizes)) end,
  function() blocks[#blocks + 1] = t.zalloc(pick(domains), pick(sizes)) end,
  function() blocks[#blocks + 1] = t.calloc(pick(domains), pick(counts), pick(sizes)) end,
  function() blocks[#blocks + 1] = t.malloc_aligned(pick(domains), pick(sizes), pick({ 8, 64, 4096, 3, 0 })) end,
  function() blocks[#blocks + 1] = t.realloc(pick(domains), pick(blocks), pick(sizes)) end,
  function() local s = pick(states) blocks[#blocks + 1] = s:malloc(pick(domains), pick(sizes)) end,
  function() t.free(pick(blocks)) end,
  function() pick(blocks):free() end,
  function() local b = pick(blocks) b:write(pick(sizes), pick({ "abc", ("z"):rep(600), 5 })) end,
  function() local b = pick(blocks) return b:read(pick(sizes), pick(sizes)) end,
  function() return t.block_size(pick(blocks)) end,
  function() pick(states):end_domain(pick(domains), pick(modes)) end,
  function() pick(states):close() end,
  function() return pick(states):stats(pick(domains)) end,
  function() pick(states):visit(pick(domains), function() if rand(10) == 1 then error("stop") end end) end,
  function() pick(states):set_threshold(pick(domains), pick(sizes)) end,
  function() return t.gc_due(pick(domains)) end,
  function() hosts[#hosts + 1] = t.luastate{ cap = rand(2) == 1 and 200000 or nil } end,
  function() pick(hosts):run(pick({ "return 1", "local t = {} for i = 1, 1e5 do t[i] = i end", "error('x')" })) end,
  -- any cap up to 64 KiB, any library set, binary or not
  function()
    local o = { cap = rand(65537) - 1, binary = rand(3) == 1, libs = pick({ "all", { "base" }, {} }),
                limit = rand(2) == 1 and rand(100000) or nil }
    local h = t.luastate(o)
    hosts[#hosts + 1] = h
    made[h] = o
  end,
  -- chunks text, binary and corrupted, and errors that are not strings; a
  -- corrupted chunk only where binary is refused (binary = true trusts it),
  -- an endless loop only where a limit ends it
  function()
    local h = pick(hosts)
    local o = made[h] or {}
    local chunks = { "error(nil)", "error({})", "error(42)", dumped }
    if not o.binary then chunks[#chunks + 1] = corrupt(dumped) end
    if o.limit then chunks[#chunks + 1] = "while true do end" end
    h:run(pick(chunks))
  end,
  -- the same caps on run_threads' states: each thread answers or fails, by itself
  function()
    local o = { cap = rand(65537) - 1, limit = rand(2) == 1 and rand(100000) or nil }
    local r = t.run_threads(rand(2), pick({ "return 1", "local t = {} for i = 1, 1e4 do t[i] = {} end", "error(nil)" }), o)
    for i = 1, #r do
      check((r[i].error == nil) ~= (type(r[i].error) == "string"), "a thread under a cap: an error is a string")
      check(r[i].stats.used_after_close == 0, "a thread under a cap left nothing")
    end
  end,
  -- run_threads from a visit callback and from inside a luastate
  function() pick(states):visit(pick(domains), function() t.run_threads(1, "return 1") return true end) end,
  function()
    local h = t.luastate{ libs = { "base", "package", "string", "table" }, cap = 4e6 }
    h:run("return #require(...).run_threads(1, 'return 1')", name)
    h:close()
  end,
  function() pick(hosts):close() end,
  function() blocks[rand(#blocks + 1)] = nil collectgarbage("step") end,
}
if not nested then
  ops[#ops + 1] = function()
    local r = t.run_threads(rand(3), "arg = { select(3, ...) } return dofile(arg[5])", name, 100, rand(1e6),
                            "nested", script)
    for i = 1, #r do check(r[i].error == nil and r[i].results[1] == 0, "fuzzing thread: " .. tostring(r[i].error)) end
  end
end

local ok_calls, err_calls = 0, 0
for _ = 1, calls do
  local ok = pcall(ops[rand(#ops)])
  if ok then ok_calls = ok_calls + 1 else err_calls = err_calls + 1 end
end
check(nested or (ok_calls > calls / 10 and err_calls > calls / 10), string.format("a mix: %d fine, %d refused", ok_calls, err_calls))

-- no leak: free what is still valid; every open domain is then empty
for _, b in pairs(blocks) do if b:valid() then b:free() end end
for _, h in pairs(hosts) do h:close() end
collectgarbage()
collectgarbage()
for _, s in ipairs(states) do
  if pcall(s.owned, s) then
    for d = 0, t.DOMAIN_COUNT - 1 do
      local ok, st = pcall(s.stats, s, d)
      if ok then check(st.live_blocks == 0, "leaked blocks in domain " .. d .. ": " .. st.live_blocks) end
    end
    s:close()
  end
end
if nested then return T.failed end
print(string.format("%d calls: %d fine, %d refused", calls, ok_calls, err_calls))
T.done()
