-- lua_run.lua HOST DEPTH [THREADS]: run binarytrees.lua once.
--   stock              in this interpreter, on its own allocator (no tsheap)
--   luastate:MODULE    in a tsheap.luastate of "tsheap" or "tsheap.gil"
--   threads:MODULE     on THREADS OS threads through MODULE.run_threads;
--                      prints the wall time of the whole run (r.seconds)
-- Stock and luastate runs are timed from outside, as whole processes.
-- Every run checks the benchmark's own output against the known answer.
local host, depth, threads = arg[1], tonumber(arg[2]), tonumber(arg[3] or 1)
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local file = assert(io.open(here .. "/binarytrees.lua"))
local code = file:read("a")
file:close()

-- The long-lived tree's check is 2^(depth+1) - 1 whatever else happens.
local function check(out)
  local d = math.max(6, depth)
  local want = ("long lived tree of depth %d\t check: %d"):format(d, (1 << (d + 1)) - 1)
  assert(type(out) == "string" and out:find(want, 1, true), "wrong output: " .. tostring(out))
end

local kind, module = host:match("^(%a+):?(.*)$")
if kind == "stock" then
  check(assert(load(code, "=binarytrees"))(depth))
elseif kind == "luastate" then
  local st = require(module).luastate{}
  check(st:run(code, depth))
  st:close()
elseif kind == "threads" then
  -- run_threads passes the thread's index and count before our arguments
  local wrapped = "return (function(...)\n" .. code .. "\nend)(select(3, ...))"
  local r = require(module).run_threads(threads, wrapped, depth)
  for _, t in ipairs(r) do
    assert(t.error == nil, t.error)
    check(t.results[1])
  end
  print(("%.6f"):format(r.seconds))
else
  error("unknown host " .. host)
end
