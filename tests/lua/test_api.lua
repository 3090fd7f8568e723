-- test_api.lua MODULE: every function of the Lua module and every misuse the
-- module must turn into a Lua error.  MODULE is "tsheap" or "tsheap.gil".
local T = require "check"
local check, raises = T.check, T.raises
local name = arg[1] or "tsheap"

-- require sets no global
local before = {}
for k in pairs(_G) do before[k] = true end
local t = require(name)
local new = {}
for k in pairs(_G) do if not before[k] then new[#new + 1] = k end end
check(#new == 0, "require set globals: " .. table.concat(new, ", "))
check(package.loaded[name] == t, "package.loaded holds the module")

-- which build, and the other one
check(t.build == (name == "tsheap" and "free_threaded" or "gil"), "build " .. tostring(t.build))
check(t.loaded_build() == t.build, "loaded_build")
check(t.version() == t.VERSION and t.VERSION:match("^%d+%.%d+%.%d+$"), "version")
check(math.type == nil or math.type(t.abi()) == "integer", "abi is an integer")
check(t.strerror(t.E_NOMEM) == "out of memory", "strerror")
check(t.strerror(999) == "unknown status code", "strerror of an unknown code")
check(t.DOMAIN_RAW == 0 and t.DOMAIN_COUNT >= 3, "constants")
local other = require(name == "tsheap" and "tsheap.gil" or "tsheap")
check(other.build ~= t.build, "the other build loads beside this one")

-- no current state yet
check(t.state_current() == nil, "no current state")
raises(name .. ".malloc: the calling thread has no current thread state", t.malloc, "raw", 8)
raises("unknown domain 'raw' (the name holds a NUL byte)", t.malloc, "raw\0", 8)

-- states
local st = t.state_create({ "object" })
check(t.state_current() == st, "a new state is current")
check(st:owned() == true and t.state_owned(st) == true, "owned")
check(tostring(st):find(name .. ".state", 1, true), "tostring of a state")
raises("bad argument #1", t.state_create, 5)
raises("unknown domain 'nope'", t.state_create, { "nope" })
raises("bad argument #1", t.state_end, "not a state")
raises("bad argument #1", t.state_stats, {}, "raw")

-- blocks
for _, d in ipairs({ "raw", "object", "gc", 0, 1, 2 }) do
  local b = t.malloc(d, 100)
  check(b:size() >= 100, "size")
  check(b:valid(), "valid")
  check(b:domain() == (type(d) == "string" and d or ({ "raw", "object", "gc" })[d + 1]), "domain of a block")
  check(b:state() == st, "a block knows its state")
  b:write(0, "hello")
  b:write(95, "world")
  check(b:read(0, 5) == "hello" and b:read(95, 5) == "world", "read back")
  check(#b:read() == b:size(), "read all")
  raises("past the block", b.read, b, b:size() + 1)
  raises("runs past the block", b.read, b, 96, 100)
  raises("do not fit", b.write, b, b:size() - 2, "xyz")
  raises("size must not be negative", b.read, b, -1)
  check(math.type == nil or math.type(b:address()) == "integer", "address is an integer")
  b:free()
  check(not b:valid(), "not valid after free")
  raises("the block was freed", b.free, b)           -- double free
  raises("the block was freed", b.read, b)           -- use after free
  raises("the block was freed", t.free, b)
  raises("the block was freed", t.block_size, b)
  check(tostring(b):find("freed", 1, true), "tostring of a freed block")
end
local z = t.zalloc("raw", 64)
check(z:read(0, 64) == string.rep("\0", 64), "zalloc is zeroed")
local c = t.calloc("gc", 10, 10)
check(c:read(0, 100) == string.rep("\0", 100), "calloc is zeroed")
local n = t.mallocn("raw", 4, 8)
check(n:size() >= 32, "mallocn")
local a = t.malloc_aligned("raw", 10, 256)
check(a:address() % 256 == 0, "aligned")
raises(name .. ".malloc_aligned: invalid argument", t.malloc_aligned, "raw", 10, 3)
local r = t.realloc("raw", n, 1000)
check(not n:valid() and r:size() >= 1000, "realloc moves the block into a new object")
r:write(0, "kept")
r = t.realloc("raw", r, 5000)
check(r:read(0, 4) == "kept", "realloc keeps the contents")
check(t.block_size(r) == r:size() and t.block_size(nil) == 0, "block_size")
t.free(nil)
for _, b in ipairs({ z, c, a, r }) do t.free(b) end

-- sizes: wrong types, negative, fractional, huge
raises("number expected", t.malloc, "raw", "ten")
raises("number expected", t.malloc, "raw", nil)
raises("size must not be negative", t.malloc, "raw", -1)
raises("size must be a whole number", t.malloc, "raw", 1.5)
raises("size out of range", t.malloc, "raw", 1e300)
raises("size must be a whole number", t.malloc, "raw", 0 / 0)
raises(name .. ".malloc: out of memory", t.malloc, "raw", 2 ^ 52)
raises(name .. ".mallocn: size computation overflows", t.mallocn, "raw", 2 ^ 40, 2 ^ 40)
raises(name .. ".calloc: size computation overflows", t.calloc, "raw", 2 ^ 40, 2 ^ 40)
raises("unknown domain 'stack'", t.malloc, "stack", 1)
raises("unknown domain 7", t.malloc, 7, 1)
raises("domain name expected", t.malloc, {}, 1)

-- explicit state, statistics, counters
local s0 = st:stats("gc")
local kept = {}
for i = 1, 10 do kept[i] = st:malloc("gc", 48) end
local s1 = t.state_stats(st, "gc")
check(s1.live_blocks == s0.live_blocks + 10, "live blocks")
check(s1.live_bytes >= s0.live_bytes + 480, "live bytes")
check(s1.allocations == s0.allocations + 10, "gc allocations are counted")
check(math.type == nil or math.type(s1.live_blocks) == "integer", "statistics are integers")
st:set_threshold("gc", s1.allocations + 1)
check(t.gc_due("gc") == false, "not due yet")
local one = t.malloc("gc", 8)
check(t.gc_due("gc") == true, "due")
st:reset_count("gc")
check(st:stats("gc").allocations == 0 and t.gc_due("gc") == false, "reset")
one:free()
local zc = st:calloc("raw", 3, 5)
check(zc:read(0, 15) == string.rep("\0", 15), "state_calloc")
zc:free()
raises("size must not be negative", st.malloc, st, "raw", -5)

-- visits
local seen, total = 0, 0
st:visit("gc", function(addr, size) seen = seen + 1; total = total + size end)
check(seen == st:stats("gc").live_blocks and total == st:stats("gc").live_bytes, "visit sees every live block")
local stops = 0
st:visit("gc", function() stops = stops + 1; return true end)
check(stops == 1, "a visitor returning true stops the visit")
raises("boom", st.visit, st, "gc", function() error("boom") end)
raises("being visited", st.visit, st, "gc", function() t.malloc("gc", 1) end)
raises("being visited", st.visit, st, "gc", function() kept[1]:free() end)
raises("being visited", st.visit, st, "gc", function() t.free(kept[1]) end)
do   -- a visitor reads and writes the blocks it is shown, here kept[1]
  local at = kept[1]:address()
  kept[1]:write(0, "before")
  local read
  st:visit("gc", function(addr)
    if addr == at then read = kept[1]:read(0, 6); kept[1]:write(0, "after!") end
  end)
  check(read == "before" and kept[1]:read(0, 6) == "after!", "a visitor reads and writes a visited block: " .. tostring(read))
end
do   -- error(nil) in a visitor is an error too, with nil as its value
  local ok, err = pcall(st.visit, st, "gc", function() error(nil) end)
  check(not ok and err == nil, "error(nil) in a visitor propagates: " .. tostring(ok))
  local ok2 = pcall(st.visit, st, "gc", function() end)
  check(ok2, "and the next visit is clean")
end
raises("bad argument", st.visit, st, "gc", "not a function")
for i = 1, 10 do kept[i]:free() end

-- switching, a second state, blocks of one state used with another
local st2 = t.state_create()
check(t.state_current() == st2, "the new state is current")
local b2 = t.malloc("raw", 10)
check(b2:state() == st2, "allocated on the current state")
t.state_switch(st)
check(t.state_current() == st, "switched back")
raises("the block belongs to another thread state", t.realloc, "raw", b2, 100)
check(b2:valid(), "a refused realloc leaves the block alone")
t.state_switch(nil)
check(t.state_current() == nil, "detached")
raises("no current thread state", t.malloc, "raw", 1)
t.state_switch(st)

-- ending domains: discard invalidates blocks, release keeps them
local gone = st:malloc("object", 32)
local live = st:malloc("raw", 32)
live:write(0, "still here")
raises("not created discardable", st.end_domain, st, "raw", "discard")
raises("bad argument #3", st.end_domain, st, "object", "evaporate")
raises("end mode must be \"release\" or \"discard\"", st.end_domain, st, "object", "discard\0")
st:end_domain("object", "discard")
check(not gone:valid(), "a discarded block is not valid")
raises("the block's domain was discarded", gone.read, gone)
raises("the block's domain was discarded", gone.free, gone)
raises(name .. ".state_malloc: the domain or thread state has ended", st.malloc, st, "object", 8)
raises(name .. ".state_end_domain: the domain or thread state has ended", st.end_domain, st, "object", "discard")
st:end_domain("raw", "release")
check(live:read(0, 10) == "still here", "a released block stays valid")
live:free()

-- ending states
b2:write(0, "x")
st2:close()
raises("the thread state has ended", st2.malloc, st2, "raw", 1)
raises("the thread state has ended", st2.close, st2)
raises("the thread state has ended", t.state_switch, st2)
check(b2:read(0, 1) == "x", "released with its state, a block stays valid")
b2:free()

-- another OS thread starts with no state, makes its own and uses it
local res = t.run_threads(2, [[
  local _, _, name = ...
  local t = require(name)
  local none = t.state_current() == nil
  local st = t.state_create()
  local b = st:malloc("raw", 10)
  b:write(0, "abc")
  local back = b:read(0, 3)
  b:free()
  st:close()
  return none, back
]], name)
for i = 1, 2 do
  check(res[i].error == nil, res[i].error)
  check(res[i].results[1] == true and res[i].results[2] == "abc", "a thread of its own")
end

-- garbage collection frees each block once
do
  local before_gc = st:stats("gc").live_blocks
  for i = 1, 100 do local _ = st:malloc("gc", 16) end
  collectgarbage(); collectgarbage()
  check(st:stats("gc").live_blocks == before_gc, "collected blocks are freed")
  local freed = st:malloc("gc", 16)
  freed:free()
  freed = nil
  collectgarbage(); collectgarbage()
  check(st:stats("gc").live_blocks == before_gc, "a freed block is not freed again")
end

-- a state nobody refers to lives as long as its blocks
do
  local orphan = t.state_create()
  local b = t.malloc("raw", 10)
  b:write(0, "kept")
  t.state_switch(st)
  orphan = nil
  collectgarbage(); collectgarbage()
  check(b:read(0, 4) == "kept", "the block outlives the last reference to its state")
  check(b:state():stats("raw").live_blocks == 1, "and so does its state")
  b:free()
end
collectgarbage(); collectgarbage()

-- a state ended, a new one (maybe at the same address): blocks follow the right one
do
  local first = t.state_create()
  local old = t.malloc("raw", 8)
  first:close()
  local second = t.state_create()
  local new = t.malloc("raw", 8)
  check(rawequal(new:state(), second) and rawequal(old:state(), first), "each block knows its own state")
  raises("the thread state has ended", first.malloc, first, "raw", 1)
  check(second:stats("raw").live_blocks == 1, "the new state has only its block")
  old:free()
  new:free()
  second:close()
  t.state_switch(st)
end

-- __gc called by hand, then by the collector: the block is freed once
do
  local before_gc = st:stats("gc").live_blocks
  local b = st:malloc("gc", 16)
  local gc = getmetatable(b).__gc
  gc(b)
  gc(b)
  check(st:stats("gc").live_blocks == before_gc, "freed by the first __gc")
  check(not b:valid(), "and no longer valid")
  raises("freed", b.read, b)
  b = nil
  collectgarbage(); collectgarbage()
  check(st:stats("gc").live_blocks == before_gc, "not freed again")
end

st:close()
check(t.state_current() == nil, "ending the current state detaches it")
T.done()
