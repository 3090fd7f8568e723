-- threads.lua [N]: the same chunk on N OS threads, each in its own Lua state
-- on its own thread's heap, on the free-threaded build and on the GIL build.
local n = tonumber(arg and arg[1]) or 4
local chunk = [[
  local i, n = ...
  local t = {}
  for k = 1, 200000 do t[k] = { k, tostring(k) } end
  return #t
]]
for _, name in ipairs({ "tsheap", "tsheap.gil" }) do
  local tsheap = require(name)
  local results = tsheap.run_threads(n, chunk)
  local peak, slowest = 0, 0
  for _, r in ipairs(results) do
    assert(r.error == nil, r.error)
    assert(r.stats.used_after_close == 0)
    peak = math.max(peak, r.stats.used)
    slowest = math.max(slowest, r.seconds)
  end
  print(string.format("%-14s %d threads: %.2f s in all, slowest thread %.2f s, largest heap %.1f MiB",
                      tsheap.build, n, results.seconds, slowest, peak / 1048576))
end
