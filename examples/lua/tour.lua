-- tour.lua: thread states, blocks, statistics, a walk, release and discard.
local tsheap = require "tsheap"
print("tsheap " .. tsheap.version() .. ", " .. tsheap.build .. " build")

-- a state for this thread; its object domain may be discarded later
local st = tsheap.state_create({ "object" })

-- blocks are objects: size, read, write, free
local greeting = tsheap.malloc("raw", 32)
greeting:write(0, "hello from a tsheap block")
print(greeting:read(0, 25), "(" .. greeting:size() .. " usable bytes)")

-- a collector's view: count gc allocations against a threshold
st:set_threshold("gc", 100)
local objects = {}
for i = 1, 150 do objects[i] = st:malloc("gc", 64) end
print("gc collection due:", tsheap.gc_due("gc"))
local s = st:stats("gc")
print(string.format("gc domain: %d live blocks, %d bytes, %d allocations", s.live_blocks, s.live_bytes, s.allocations))

-- walk the live blocks of a domain
local largest = 0
st:visit("gc", function(address, size) largest = math.max(largest, size) end)
print("largest gc block:", largest)
for i = 1, 150, 2 do objects[i]:free() end
st:reset_count("gc")

-- discard: every block of the domain at once; its block objects refuse use
local scratch = {}
for i = 1, 1000 do scratch[i] = st:malloc("object", 100) end
st:end_domain("object", "discard")
print("after discard:", pcall(scratch[1].read, scratch[1]))

-- release: the state ends, live blocks stay valid
st:close()
print("after release:", greeting:read(0, 5))
greeting:free()
