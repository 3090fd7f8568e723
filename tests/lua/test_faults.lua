-- test_faults.lua MODULE: the Lua module when the system says no.  Run with
-- libfault_inject.so preloaded and TSHEAP_FAULT set (tests/c/fault.h):
--   thread:2       the threads runner cannot start its second thread
--   mmap:1:always  mimalloc and the arenas get no memory at all
local T = require "check"
local check, raises = T.check, T.raises
local name = arg[1] or "tsheap"
local t = require(name)
local fault = os.getenv("TSHEAP_FAULT") or ""

if fault == "thread:2" then
  local r = t.run_threads(3, "return ...")
  check(r[1].error == nil and r[1].results[1] == 1, "thread one ran")
  check(r[2].error and r[2].error:find("cannot start thread", 1, true), "thread two reported: " .. tostring(r[2].error))
  check(r[2].results and #r[2].results == 0, "thread two has no results")
  check(r[3].error == nil and r[3].results[1] == 3, "thread three ran")
  local again = t.run_threads(2, "return select(2, ...)")
  check(again[1].error == nil and again[2].error == nil and again[2].results[1] == 2, "the runner works afterwards")
elseif fault == "mmap:1:always" then
  if t.build == "gil" then
    -- a GIL-build state takes memory only when it first allocates
    local st = t.state_create()
    raises(name .. ".malloc: out of memory", t.malloc, "raw", 100)
    raises(name .. ".malloc: out of memory", t.malloc, "object", 1e6)
    t.state_end(st)
  else
    raises("out of memory", t.state_create)
  end
  raises("out of memory", t.luastate)
  local r = t.run_threads(2, "return 1")
  for i = 1, 2 do
    check(r[i].error and r[i].error:find("out of memory", 1, true), "thread " .. i .. ": " .. tostring(r[i].error))
  end
  check(t.state_current() == nil, "no state left behind")
else
  error("test_faults.lua: set TSHEAP_FAULT to thread:2 or mmap:1:always")
end
T.done()
