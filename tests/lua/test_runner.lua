-- test_runner.lua MODULE: Lua states of their own on tsheap heaps
-- (tsheap.luastate) and Lua on many OS threads (tsheap.run_threads).
local T = require "check"
local check, raises = T.check, T.raises
local name = arg[1] or "tsheap"
local t = require(name)

-- a state of its own: values cross both ways, errors come back as errors
local ls = t.luastate()
local a, b, c, d = ls:run("local x, y, z = ... return x * 2, y .. '!', not z, nil", 21, "hi", false)
check(a == 42 and b == "hi!" and c == true and d == nil, "values cross")
check(math.type == nil or math.type(a) == "integer", "integers stay integers")
check(ls:run("return 0.5") == 0.5, "floats stay floats")
check(select("#", ls:run("return 1, nil, 3")) == 3, "nil in the middle")
raises("luastate:1: oops", ls.run, ls, "error('oops')")
raises("luastate:1:", ls.run, ls, "this is not lua")
raises("is a table", ls.run, ls, "return {}")
raises("argument value #1 is a function", ls.run, ls, "return 1", print)
raises("bad argument #2", ls.run, ls, nil)
local g1 = ls:run("x = 10 return x")
check(ls:run("return x + 1") == 11 and g1 == 10, "the state keeps its globals between runs")
local s = ls:stats()
check(s.used > 0 and s.cap == 0 and s.live_blocks > 0 and s.live_bytes > 0, "statistics of its heap")
ls:close()
raises("the Lua state is closed", ls.run, ls, "return 1")
raises("the Lua state is closed", ls.stats, ls)
ls:close()   -- closing twice is harmless

-- the memory cap: "not enough memory" inside, and nothing worse
local capped = t.luastate{ cap = 512 * 1024, domain = "raw" }
raises("not enough memory", capped.run, capped, "local t = {} for i = 1, 1e7 do t[i] = i end")
check(capped:stats().used <= 512 * 1024, "never over the cap")
-- what the failed run left is collected at once: LuaJIT, with no collection
-- of its own when an allocation fails, could run nothing more before
raises("not enough memory", capped.run, capped, "local t = {} while true do t[#t + 1] = {} end")
check(capped:stats().used < 256 * 1024, "back down after running out: " .. capped:stats().used)
check(capped:run("return 6 * 7") == 42, "and it runs again at once")
capped:run("collectgarbage()")
check(capped:run("local s = 0 for i = 1, 100 do s = s + i end return s") == 5050, "usable after running out")
capped:close()

-- every cap from 0 to 64 KiB: a working state or a clean error, never
-- Lua's panic (the libraries are opened in a protected call) nor a LuaJIT
-- crash inside lua_newstate (a cap below a new state's size is refused)
do
  local works, refused, bad = 0, 0, {}
  for cap = 0, 65536, 64 do
    local ok, s = pcall(t.luastate, { cap = cap })
    if ok then
      local ran, r = pcall(s.run, s, "return 6 * 7")
      if ran and r == 42 then
        works = works + 1
      elseif ran or type(r) ~= "string" or not r:find("not enough memory", 1, true) then
        bad[#bad + 1] = cap .. ": run gave " .. tostring(r)
      end
      s:close()
    elseif type(s) == "string" and s:find(name .. ".luastate: out of memory", 1, true) then
      refused = refused + 1
    else
      bad[#bad + 1] = cap .. ": " .. type(s) .. " " .. tostring(s)
    end
  end
  check(#bad == 0, "caps 0 to 64 KiB, " .. #bad .. " wrong, the first: " .. table.concat(bad, "; ", 1, math.min(#bad, 3)))
  check(works > 0 and refused > 0, "some caps refused, the rest work: " .. works .. " and " .. refused)
  -- and the GIL was let go after each of those errors
  check(t.run_threads(1, "return 7")[1].results[1] == 7, "threads run after the refusals")
end
-- error objects that are not strings come back as messages
do
  local ls2 = t.luastate()
  local ok, err = pcall(ls2.run, ls2, "error(42)")   -- 5.1 adds the position
  check(not ok and err:find(name .. ".luastate:run: ", 1, true) and err:match(" 42$"), "a number as the error: " .. tostring(err))
  raises("error object is a table value", ls2.run, ls2, "error({})")
  -- 64 values each way: more than a C function's stack holds unasked
  local many_args = {}
  for i = 1, 64 do many_args[i] = i end
  local back = { ls2:run("return ...", (table.unpack or unpack)(many_args)) }
  check(#back == 64 and back[64] == 64, "64 values cross both ways")
  ls2:close()
end
-- the sandbox: a documented library set, text chunks only, a limit if asked
do
  local box = t.luastate()
  local kinds = { box:run([[return type(require), type(io), type(os), type(debug), type(package),
                                   type(dofile), type(loadfile), type(jit), type(ffi)]]) }
  for i = 1, 9 do check(kinds[i] == "nil", "not in the sandbox: #" .. i .. " is a " .. tostring(kinds[i])) end
  check(box:run("return type(string), type(table), type(math), type(coroutine), type(pcall)") == "table",
        "the safe libraries are there")
  local dumped = string.dump(function() return 1 end)
  local broken = dumped:sub(1, 20) .. string.char((dumped:byte(21) + 1) % 256) .. dumped:sub(22)
  for _, chunk in ipairs({ dumped, broken }) do
    local ok, err = pcall(box.run, box, chunk)
    check(not ok and (err:find("binary chunk", 1, true) or err:find("wrong mode", 1, true)), "binary refused: " .. tostring(err))
  end
  check(box:run("return load(...)", dumped) == nil, "load inside refuses binary too")
  check(box:run("return load(..., 'x', 'b')", dumped) == nil, "even when asked for 'b'")
  check(box:run("return load('return 5')()") == 5, "text chunks load")
  box:close()
  local open = t.luastate{ libs = "all", binary = true }
  check(open:run("return type(io), type(os), type(require)") == "table", "libs = 'all'")
  check(open:run(dumped) == 1, "binary = true runs a precompiled chunk")
  open:close()
  local some = t.luastate{ libs = { "base", "string" } }
  check(some:run("return type(string), type(table), type(dofile)") == "table", "a list of libraries")
  check(select(2, some:run("return type(string), type(table)")) == "nil", "and only those")
  some:close()
  local limited = t.luastate{ limit = 100000 }
  raises("took more than its limit of 100000 instructions", limited.run, limited, "while true do end")
  check(limited:run("local s = 0 for i = 1, 1000 do s = s + i end return s") == 500500, "each run has its own limit")
  limited:close()
  local bare = t.luastate{ libs = {}, limit = 100000 }   -- no library at all: the limit still holds
  raises("took more than its limit of 100000 instructions", bare.run, bare, "local i = 0 while true do i = i + 1 end")
  bare:close()
  raises(name .. ".luastate: option 'libs'[2]: no library 'sockets' here", t.luastate, { libs = { "base", "sockets" } })
  if jit then   -- LuaJIT: ffi and a cap do not go together; run_threads' default leaves ffi out then
    raises("ffi library cannot be opened under a cap", t.luastate, { libs = "all", cap = 1e6 })
    local capped_all = t.run_threads(1, "return type(ffi), type(dofile)", { cap = 4e6 })[1].results
    check(capped_all[1] == "nil", "run_threads: no ffi under a cap")
    check(capped_all[2] == "function", "but every other library, files too")
    check(t.run_threads(1, "return type(require('ffi'))")[1].results[1] == "table", "and ffi without one")
  end
  raises(name .. ".luastate: option 'binary': true or false expected", t.luastate, { binary = "yes" })
  -- run_threads' chunks are the program's own: every library, text only
  local r = t.run_threads(1, "return type(io), type(require)")
  check(r[1].results[1] == "table" and r[1].results[2] == "function", "run_threads opens every library")
  check(t.run_threads(1, dumped)[1].error ~= nil, "run_threads refuses binary chunks")
  check(t.run_threads(1, "while true do end", { limit = 50000 })[1].error:find("limit", 1, true), "and takes a limit")
end
raises("unknown domain 'swap'", t.luastate, { domain = "swap" })
raises(name .. ".luastate: option 'cap': value must not be negative", t.luastate, { cap = -1 })
raises(name .. ".luastate: option 'limit': value must be a whole number", t.luastate, { limit = 0.5 })
raises(name .. ".luastate: option 'limit': number expected, got string", t.luastate, { limit = "1e6" })
raises(name .. ".luastate: bad argument #1: table expected, got number", t.luastate, 5)

-- more states than the free-threaded build has arenas for discard
local many = {}
for i = 1, 60 do
  many[i] = t.luastate()
  check(many[i]:run("return ...", i) == i, "state " .. i)
end
for i = 1, 60 do many[i]:close() end
if _VERSION == "Lua 5.4" then
  local f = load("local t = ... do local x <close> = t.luastate() y = x end return y")
  local closed = f(t)
  raises("the Lua state is closed", closed.run, closed, "return 1")
end
collectgarbage()

-- many OS threads, each on its own heap
local code = [[
  local i, n, base = ...
  local t = {}
  for k = 1, 20000 do t[k] = ("x"):rep(k % 50) .. k end
  return i, n, base + i, #t
]]
local r = t.run_threads(4, code, 100)
check(#r == 4, "one entry per thread")
check(type(r.seconds) == "number" and r.seconds > 0, "wall time of the whole run")
for i, e in ipairs(r) do
  check(e.thread == i and e.error == nil, "thread " .. i)
  check(e.results[1] == i and e.results[2] == 4 and e.results[3] == 100 + i and e.results[4] == 20000, "results")
  check(e.stats.used > 100000 and e.stats.live_blocks > 1000, "the heap held the thread's data")
  check(e.stats.used_after_close == 0, "nothing left after lua_close")
  check(type(e.seconds) == "number" and e.seconds >= 0, "wall time of the run")
end
-- the other build gives the same answers
local other = require(name == "tsheap" and "tsheap.gil" or "tsheap")
local r2 = other.run_threads(4, code, 100)
for i = 1, 4 do check(r2[i].results[3] == r[i].results[3] and r2[i].results[4] == 20000, "same on the other build") end

-- errors and caps per thread
local bad = t.run_threads(2, "local i = ... if i == 2 then error('thread two fails') end return 'fine'")
check(bad[1].results[1] == "fine" and bad[1].error == nil, "thread one")
check(bad[2].error and bad[2].error:find("thread two fails", 1, true), "thread two's error")
local capped_threads = t.run_threads(3, "local t = {} for i = 1, 1e7 do t[i] = i end", { cap = 256 * 1024 })
for i = 1, 3 do
  check(capped_threads[i].error and capped_threads[i].error:find("not enough memory", 1, true), "capped thread " .. i)
  check(capped_threads[i].stats.used_after_close == 0, "capped thread " .. i .. " left nothing")
end
raises(name .. ".run_threads: bad argument #1: thread count must be a whole number", t.run_threads, 1.5, "return 1")
raises(name .. ".run_threads: unknown option 'domian'", t.run_threads, 1, "return 1", { domian = "raw" })
raises(name .. ".luastate: unknown option 'colour'", t.luastate, { cap = 1e6, colour = 1 })
raises(name .. ".luastate: unknown option of a key not a string", t.luastate, { 1 })
raises("unknown domain 'raw' (the name holds a NUL byte)", t.luastate, { domain = "raw\0x" })
raises("from 1 to 1024 threads", t.run_threads, 0, "return 1")
raises("from 1 to 1024 threads", t.run_threads, 5000, "return 1")
raises("is a table", t.run_threads, 1, "return 1", {}, {})
raises("number expected", t.run_threads, "two", "return 1")
check(t.run_threads(1, "return select('#', ...)", "a", "b")[1].results[1] == 4, "index, count, then the arguments")

-- run_threads from where the GIL build's GIL is held: the caller lets it go
-- while it waits (a luastate's run, a thread of run_threads), or, in a
-- visit's callback, which keeps it for the walk, an error at once
local nested = "return #require('" .. name .. "').run_threads(2, 'return 1')"
local host = t.luastate{ cap = 8e6, libs = { "base", "package", "string", "table" } }   -- require, to reach the module
check(host:run(nested) == 2, "run_threads inside a luastate's run")
host:close()
local inner = t.run_threads(2, nested)
check(inner[1].results[1] == 2 and inner[2].results[1] == 2, "run_threads inside a thread of run_threads: "
      .. tostring(inner[1].error))
do
  local vs = t.state_create({})
  local vb = vs:malloc("gc", 8)
  local ran, err = pcall(vs.visit, vs, "gc", function() return t.run_threads(1, "return 1")[1].results[1] == 1 end)
  if t.build == "gil" then
    check(not ran and err:find("tsheap.gil.run_threads: not from a visit callback", 1, true), "from a visit: " .. tostring(err))
  else
    check(ran, "from a visit, free-threaded: " .. tostring(err))
  end
  check(t.run_threads(1, "return 3")[1].results[1] == 3, "and the GIL was let go after it")
  vb:free()
  vs:close()
end
T.done()
