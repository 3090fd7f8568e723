-- luastate.lua: a Lua state of its own on a tsheap heap, with a memory cap.
local tsheap = require "tsheap"

local sandbox = tsheap.luastate{ cap = 4 * 1024 * 1024 }
print(sandbox:run("return ('%s holds %d bytes'):format(_VERSION, math.floor(collectgarbage('count') * 1024))"))

-- going over the cap is Lua's own "not enough memory" inside the state
local ok, err = pcall(sandbox.run, sandbox, "local t = {} while true do t[#t + 1] = ('x'):rep(1000) end")
print("greedy chunk:", ok, err)

-- and nothing worse: the state goes on
sandbox:run("collectgarbage()")
print("still works:", sandbox:run("return 6 * 7"))
local s = sandbox:stats()
print(string.format("heap: %d bytes used of a %d byte cap, %d live blocks", s.used, s.cap, s.live_blocks))
sandbox:close()    -- ends the heap at once
