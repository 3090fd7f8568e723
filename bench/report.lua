-- report.lua RAW META OUTDIR: turn raw.tsv (rep, workload, peer, config,
-- unit, value; one line per measurement) into OUTDIR/report.md (medians,
-- ratios, the targets with PASS/MISS) and OUTDIR/data/*.dat for plots.gp.
-- Prints the report too.
local raw_path, meta_path, outdir = arg[1], arg[2], arg[3]

local PEERS = { "glibc", "mimalloc", "mi_heap", "jemalloc", "tcmalloc", "pymalloc", "tsheap-ft", "tsheap-gil" }
local SIZES = { 16, 64, 256, 1024, 4096 }
local SMALL = { 16, 64, 256 }

-- ---- the measurements ----

local values = {}   -- values[workload][peer][config] = { [rep] = value }
for line in io.lines(raw_path) do
  local rep, w, p, c, _, v = line:match("^(%d+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
  if rep and tonumber(v) then
    values[w] = values[w] or {}
    values[w][p] = values[w][p] or {}
    values[w][p][c] = values[w][p][c] or {}
    values[w][p][c][tonumber(rep)] = tonumber(v)
  end
end

local function reps(w, p, c)
  return values[w] and values[w][p] and values[w][p][c] or {}
end

local function median(t)
  local s = {}
  for _, v in pairs(t) do s[#s + 1] = v end
  if #s == 0 then return nil end
  table.sort(s)
  local m = (#s + 1) // 2
  return #s % 2 == 1 and s[m] or (s[m] + s[m + 1]) / 2
end

local function med(w, p, c) return median(reps(w, p, c)) end

-- The ratio a/b in each repetition that has both: peers run interleaved in
-- every repetition, so this shows how steady a comparison is.
local function rep_ratios(wa, pa, ca, wb, pb, cb)
  local a, b, r = reps(wa, pa, ca), reps(wb, pb, cb), {}
  for k, v in pairs(a) do
    if b[k] and b[k] ~= 0 then r[#r + 1] = v / b[k] end
  end
  table.sort(r)
  return r
end

local function num(v)
  if v == nil then return "n/a" end
  local a = math.abs(v)
  if a >= 100 then return ("%.0f"):format(v) end
  if a >= 10 then return ("%.1f"):format(v) end
  if a >= 1 or a == 0 then return ("%.2f"):format(v) end
  return ("%.3g"):format(v)
end

local function ratio(a, b)
  if a == nil or b == nil or b == 0 then return nil end
  return a / b
end

local function x(r) return r and ("%.2fx"):format(r) or "n/a" end

-- ---- Markdown ----

local out = {}
local function say(...) out[#out + 1] = table.concat({ ... }) end
local function row(cells) say("| ", table.concat(cells, " | "), " |") end
-- The first column (a name) left, numbers right; text = every column left.
local function header(cells, text)
  row(cells)
  local rule = {}
  for i = 1, #cells do rule[i] = (i == 1 or text) and "---" or "---:" end
  row(rule)
end

-- ---- the targets, evaluated first so that they open the report ----

local targets = {}
-- measured: the median-based number; good: pass or not; spread: per-rep range
local function target(what, goal, measured, good, spread)
  targets[#targets + 1] = { what, goal, measured, good, spread }
end

-- The worst of several comparisons (largest for "<=", smallest for ">=").
local function worst(list, le)
  local w
  for _, e in ipairs(list) do
    if e.v == nil then return { v = nil, label = e.label } end
    if w == nil or (le and e.v > w.v) or (not le and e.v < w.v) then w = e end
  end
  return w
end

local function spread_of(r)
  if #r < 2 then return "" end
  return ("%.2f to %.2f"):format(r[1], r[#r])
end

local function check(what, goal, list, le, limit, fmt)
  local w = worst(list, le)
  fmt = fmt or x
  if w.v == nil then
    target(what, goal, "no data (" .. w.label .. ")", nil, "")
    return
  end
  local measured = #list > 1 and (fmt(w.v) .. " (worst: " .. w.label .. ")") or fmt(w.v)
  target(what, goal, measured, (le and w.v <= limit) or (not le and w.v >= limit), w.spread or "")
end

local function each_small(pattern, f)
  local list = {}
  for _, s in ipairs(SMALL) do list[#list + 1] = f(pattern .. "/" .. s, s .. " B") end
  return list
end

check("free-threaded alloc+free, batch, 16-256 B, callgrind", "<= 1.05x mi_heap_malloc+mi_free instructions",
  each_small("batch", function(c, l)
    return { v = ratio(med("instr", "tsheap-ft", c), med("instr", "mi_heap", c)), label = l }
  end), true, 1.05)
for _, peer in ipairs({ { "glibc", 5 }, { "jemalloc", 2.5 } }) do
  check("free-threaded alloc+free, batch, 16-256 B, wall", (">= %gx faster than %s"):format(peer[2], peer[1]),
    each_small("batch", function(c, l)
      return { v = ratio(med("pairs", peer[1], c), med("pairs", "tsheap-ft", c)), label = l,
               spread = spread_of(rep_ratios("pairs", peer[1], c, "pairs", "tsheap-ft", c)) }
    end), false, peer[2])
end
check("two threads (free-threaded, batch of 64 B)", "per-thread cost <= 1.1x one thread",
  { { v = ratio(med("threads", "tsheap-ft", "2"), med("threads", "tsheap-ft", "1")), label = "2 threads / 1",
      spread = spread_of(rep_ratios("threads", "tsheap-ft", "2", "threads", "tsheap-ft", "1")) } }, true, 1.1)
check("cross-thread free (free-threaded)", "<= 1.1x mi_malloc/mi_free",
  { { v = ratio(med("xfree", "tsheap-ft", "64"), med("xfree", "mimalloc", "64")), label = "64 B",
      spread = spread_of(rep_ratios("xfree", "tsheap-ft", "64", "xfree", "mimalloc", "64")) } }, true, 1.1)
check("cross-thread free (free-threaded)", ">= 1.5x faster than glibc",
  { { v = ratio(med("xfree", "glibc", "64"), med("xfree", "tsheap-ft", "64")), label = "64 B",
      spread = spread_of(rep_ratios("xfree", "glibc", "64", "xfree", "tsheap-ft", "64")) } }, false, 1.5)
for _, b in ipairs({ "tsheap-ft", "tsheap-gil" }) do
  check("discard a million small blocks (" .. b .. ")", ">= 50x faster than freeing each",
    { { v = ratio(med("teardown", b, "free-each"), med("teardown", b, "discard")), label = "32-64 B",
        spread = spread_of(rep_ratios("teardown", b, "free-each", "teardown", b, "discard")) } }, false, 50)
end
for _, pattern in ipairs({ "batch", "same" }) do
  check("GIL build alloc+free, " .. pattern .. ", 16-256 B, wall", "<= 1.25x pymalloc",
    each_small(pattern, function(c, l)
      return { v = ratio(med("pairs", "tsheap-gil", c), med("pairs", "pymalloc", c)), label = l,
               spread = spread_of(rep_ratios("pairs", "tsheap-gil", c, "pairs", "pymalloc", c)) }
    end), true, 1.25)
end
for _, pattern in ipairs({ "batch", "same" }) do
  check("GIL build alloc+free, " .. pattern .. ", 16-256 B, callgrind", "<= 90 instructions a pair",
    each_small(pattern, function(c, l) return { v = med("instr", "tsheap-gil", c), label = l } end), true, 90, num)
end
for _, b in ipairs({ "tsheap-ft", "tsheap-gil" }) do
  check("Lua binary-trees, tsheap.luastate (" .. b .. ")", ">= 1.35x faster than stock lua5.4",
    { { v = ratio(med("lua", "lua5.4", "single"), med("lua", b, "single")), label = "whole run",
        spread = spread_of(rep_ratios("lua", "lua5.4", "single", "lua", b, "single")) } }, false, 1.35)
end

-- ---- the report ----

say("# tsheap benchmark report")
say("")
for line in io.lines(meta_path) do
  local k, v = line:match("^([^\t]+)\t(.*)$")
  if k then say("- ", k, ": ", v) end
end
say("")
say("Every number is the median over the repetitions; the peers run interleaved in each repetition,")
say("each in a process of its own.  `(2.00x)` after a number is that number over the reference")
say("named in the table: above 1 the reference is faster (or smaller).")
say("")
say("## Targets")
say("")
say("The range column is the same ratio within each repetition, lowest to highest.")
say("")
header({ "target", "goal", "measured (median)", "result", "range over reps" }, true)
local passed, missed = 0, 0
for _, t in ipairs(targets) do
  local verdict = t[4] == nil and "NO DATA" or (t[4] and "PASS" or "**MISS**")
  if t[4] then passed = passed + 1 else missed = missed + 1 end
  row({ t[1], t[2], t[3], verdict, t[5] })
end
say("")
say(("%d passed, %d missed."):format(passed, missed))

-- 1. pairs
for _, pattern in ipairs({ "batch", "same" }) do
  say("")
  say(("## 1. Allocate+free, %s pattern: ns per pair (reference: tsheap-ft)"):format(pattern))
  say("")
  say(pattern == "batch" and "1000 allocations, then 1000 frees, over and over." or
      "Each block freed at once: the allocator hands the same block back.")
  say("")
  local h = { "peer" }
  for _, s in ipairs(SIZES) do h[#h + 1] = s .. " B" end
  header(h)
  for _, p in ipairs(PEERS) do
    local r = { p }
    for _, s in ipairs(SIZES) do
      local c = pattern .. "/" .. s
      local v, ref = med("pairs", p, c), med("pairs", "tsheap-ft", c)
      r[#r + 1] = p == "tsheap-ft" and num(v) or (num(v) .. " (" .. x(ratio(v, ref)) .. ")")
    end
    row(r)
  end
  local r = { "tsheap-gil over pymalloc" }
  for _, s in ipairs(SIZES) do
    local c = pattern .. "/" .. s
    r[#r + 1] = x(ratio(med("pairs", "tsheap-gil", c), med("pairs", "pymalloc", c)))
  end
  row(r)
end

say("")
say("## 1. Instructions per pair under callgrind (reference: mi_heap)")
say("")
say("The difference of two run lengths over the pairs between them, so start-up cancels out; the whole")
say("loop is counted.  Deterministic: one run each.")
say("")
local cg = {}
for _, pattern in ipairs({ "batch", "same" }) do
  for _, s in ipairs(SMALL) do cg[#cg + 1] = pattern .. "/" .. s end
end
local h = { "peer" }
for _, c in ipairs(cg) do h[#h + 1] = c:gsub("/", " ") .. " B" end
header(h)
for _, p in ipairs(PEERS) do
  local r = { p }
  for _, c in ipairs(cg) do
    local v, ref = med("instr", p, c), med("instr", "mi_heap", c)
    r[#r + 1] = p == "mi_heap" and num(v) or (num(v) .. " (" .. x(ratio(v, ref)) .. ")")
  end
  row(r)
end

-- 2. threads
say("")
say("## 2. Threads: ns per pair per thread, batches of 1000 x 64 B")
say("")
say("Wall time from a common start to the last thread's end, over one thread's pairs; the machine")
say("has 2 cores.  GIL peers take the GIL around each batch, so their threads take turns.")
say("")
header({ "peer", "1 thread", "2 threads", "2 threads / 1" })
for _, p in ipairs(PEERS) do
  local one, two = med("threads", p, "1"), med("threads", p, "2")
  row({ p, num(one), num(two), x(ratio(two, one)) })
end

-- 3. cross-thread free
say("")
say("## 3. Cross-thread free: ns per 64 B object (reference: tsheap-ft)")
say("")
say("One thread allocates, another frees, through a ring of 4096 slots, 64 objects at a time; GIL")
say("peers take the GIL around each batch of 64.")
say("")
header({ "peer", "ns per object", "over tsheap-ft" })
for _, p in ipairs(PEERS) do
  local v = med("xfree", p, "64")
  row({ p, num(v), x(ratio(v, med("xfree", "tsheap-ft", "64"))) })
end

-- 4. churn
say("")
say("## 4. Thread churn: microseconds per short-lived thread (reference: tsheap-ft)")
say("")
say("Each thread begins (tsheap: a state; mi_heap: a heap; pymalloc: a thread state), allocates and")
say("frees 1000 x 64 B, ends; one thread at a time, creation and join included.")
say("")
header({ "peer", "us per thread", "over tsheap-ft" })
for _, p in ipairs(PEERS) do
  local v = med("churn", p, "thread")
  row({ p, num(v), x(ratio(v, med("churn", "tsheap-ft", "thread"))) })
end

-- 5. teardown
say("")
say("## 5. Teardown of a million 32-64 B blocks: milliseconds")
say("")
say("One discard of the domain (mi_heap: `mi_heap_destroy`) against a free for each block.")
say("")
header({ "peer", "free each", "discard", "free each / discard" })
for _, p in ipairs({ "mi_heap", "tsheap-ft", "tsheap-gil" }) do
  local f, d = med("teardown", p, "free-each"), med("teardown", p, "discard")
  row({ p, num(f), num(d), x(ratio(f, d)) })
end

-- 6. Lua
say("")
say("## 6. Lua binary-trees: seconds")
say("")
say("`bench/binarytrees.lua` in generational mode.  Single: one whole process (stock lua5.4 on its")
say("own allocator, or the chunk in a `tsheap.luastate`).  Threads: `run_threads(n, ...)`, every")
say("thread running the whole benchmark in its own state; `r.seconds`.")
say("")
header({ "host", "seconds", "speed-up over lua5.4" })
local stock = med("lua", "lua5.4", "single")
row({ "lua5.4 (stock)", num(stock), "1.00x" })
for _, b in ipairs({ "tsheap-ft", "tsheap-gil" }) do
  local v = med("lua", b, "single")
  row({ b .. " luastate", num(v), x(ratio(stock, v)) })
end
say("")
header({ "build", "1 thread", "2 threads", "2 threads / 1", "work per second, 2 threads over GIL build" })
local gil2 = med("lua", "tsheap-gil", "threads/2")
for _, b in ipairs({ "tsheap-ft", "tsheap-gil" }) do
  local one, two = med("lua", b, "threads/1"), med("lua", b, "threads/2")
  row({ b, num(one), num(two), x(ratio(two, one)), x(ratio(gil2, two)) })
end

-- 7. memory
say("")
say("## 7. Memory: MiB above the RSS before the work")
say("")
say("100,000 live blocks of 16 B to 1 KiB, a random half replaced 20 times, then all freed and the")
say("thread's state (tsheap, mi_heap, pymalloc) ended.  Lazily freed: pages handed back with")
say("MADV_FREE, still in the RSS until the kernel wants them.")
say("")
header({ "peer", "asked at peak", "peak RSS", "RSS after", "lazily freed" })
for _, p in ipairs(PEERS) do
  row({ p, num(med("memory", p, "asked")), num(med("memory", p, "peak")), num(med("memory", p, "after")),
        num(med("memory", p, "lazyfree")) })
end

local report = table.concat(out, "\n") .. "\n"
local f = assert(io.open(outdir .. "/report.md", "w"))
f:write(report)
f:close()
io.write(report)

-- ---- data for plots.gp: a header line, then one row per label ----

os.execute("mkdir -p '" .. outdir .. "/data'")
local function dat(name, cols, rows)
  local d = assert(io.open(outdir .. "/data/" .. name .. ".dat", "w"))
  local quoted = {}
  for i, c in ipairs(cols) do quoted[i] = '"' .. c .. '"' end
  d:write(table.concat(quoted, " "), "\n")
  for _, r in ipairs(rows) do
    local cells = { r[1] }
    for i = 2, #cols do cells[i] = r[i] and ("%.6g"):format(r[i]) or "?" end
    d:write(table.concat(cells, " "), "\n")
  end
  d:close()
end

for _, pattern in ipairs({ "batch", "same" }) do
  local cols, rows = { "size" }, {}
  for _, p in ipairs(PEERS) do cols[#cols + 1] = p end
  for _, s in ipairs(SIZES) do
    local r = { tostring(s) }
    for _, p in ipairs(PEERS) do r[#r + 1] = med("pairs", p, pattern .. "/" .. s) end
    rows[#rows + 1] = r
  end
  dat("pairs-" .. pattern, cols, rows)
end
local function per_peer(name, w, configs, peers)
  local cols, rows = { "peer" }, {}
  for _, c in ipairs(configs) do cols[#cols + 1] = c end
  for _, p in ipairs(peers or PEERS) do
    local r = { p }
    for _, c in ipairs(configs) do r[#r + 1] = med(w, p, c) end
    rows[#rows + 1] = r
  end
  dat(name, cols, rows)
end
per_peer("instr", "instr", { "batch/16", "batch/64", "batch/256" })
per_peer("threads", "threads", { "1", "2" })   -- plots.gp names the columns
per_peer("xfree", "xfree", { "64" })
per_peer("churn", "churn", { "thread" })
per_peer("teardown", "teardown", { "free-each", "discard" }, { "mi_heap", "tsheap-ft", "tsheap-gil" })
per_peer("memory", "memory", { "asked", "peak", "after" })
dat("lua", { "host", "seconds" }, {
  { "lua5.4", med("lua", "lua5.4", "single") },
  { "ft-luastate", med("lua", "tsheap-ft", "single") },
  { "gil-luastate", med("lua", "tsheap-gil", "single") },
  { "ft-1-thread", med("lua", "tsheap-ft", "threads/1") },
  { "ft-2-threads", med("lua", "tsheap-ft", "threads/2") },
  { "gil-1-thread", med("lua", "tsheap-gil", "threads/1") },
  { "gil-2-threads", med("lua", "tsheap-gil", "threads/2") },
})
