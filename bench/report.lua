-- report.lua RAW META OUTDIR: turn raw.tsv (rep, workload, peer, config,
-- unit, value; one line per measurement) into OUTDIR/report.md (medians,
-- ratios, the targets with PASS/MISS) and OUTDIR/data/*.dat for plots.gp.
-- Prints the report too.
local raw_path, meta_path, outdir = arg[1], arg[2], arg[3]

local PEERS = { "glibc", "mimalloc", "mi_heap", "jemalloc", "tcmalloc", "pymalloc", "tsheap-ft", "tsheap-gil" }
-- the pairs workload also runs glibc in a process that never started a
-- thread (peer.h): a reference line, not a peer of any target
local PAIRS_PEERS = { "glibc-1t" }
for _, p in ipairs(PEERS) do PAIRS_PEERS[#PAIRS_PEERS + 1] = p end
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

-- run.sh's notes: "key<TAB>text" lines, and "param<TAB>name<TAB>value"
local meta, param = {}, {}
for line in io.lines(meta_path) do
  local k, v = line:match("^([^\t]+)\t(.*)$")
  if k == "param" then
    local name, value = v:match("^([^\t]+)\t(.*)$")
    param[name] = value
  elseif k then
    meta[#meta + 1] = { k, v }
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

-- A target holds for every item (size, pattern...); the measured number is
-- the worst item.  f(peer) is the item's number with peer as the subject, r
-- (optional) the per-repetition ratios for that peer.  The same test is also
-- run with a reference peer as the subject (mimalloc used directly, or
-- pymalloc), so a miss that mimalloc itself would have shows as such; or,
-- where the item has ref(peer), the subject's worst item measured another
-- way (instructions for a wall time), named by the target's ref.
local targets = {}
local beyond = {}    -- comparisons held to a goal of the issue's, beyond its patterns

local function spread_of(r)
  if r == nil or #r < 2 then return "" end
  return ("%.2f to %.2f"):format(r[1], r[#r])
end

local function worst(items, le, peer)
  local w
  for _, it in ipairs(items) do
    local v = it.f(peer)
    if v == nil then return nil, it.label end
    if w == nil or (le and v > w.v) or (not le and v < w.v) then w = { v = v, item = it } end
  end
  return w
end

local function check(t)
  local fmt = t.fmt or x
  local w, missing = worst(t.items, t.le, t.subject)
  local result = { t.what, t.goal }
  if w == nil then
    result[3], result[4], result[5] = "no data (" .. missing .. ")", "NO DATA", ""
  else
    result[3] = #t.items > 1 and (fmt(w.v) .. " (worst: " .. w.item.label .. ")") or fmt(w.v)
    local good = (t.le and w.v <= t.limit) or (not t.le and w.v >= t.limit)
    result[4] = good and "PASS" or "**MISS**"
    result[5] = spread_of(w.item.r and w.item.r(t.subject))
    result.good = good
    if t.beyond then result[4] = good and "met" or "not met" end
  end
  result[6] = ""
  if t.ref and w then      -- the reference on the subject's worst item
    local rv
    if w.item.ref then rv = w.item.ref(t.subject) else rv = w.item.f(t.ref) end
    result[6] = t.ref .. ": " .. (rv and fmt(rv) or "n/a")
  end
  local list = t.beyond and beyond or targets
  list[#list + 1] = result
end

local function each_small(pattern, make)
  local items = {}
  for _, s in ipairs(SMALL) do
    local item = make(pattern .. "/" .. s)
    item.label = s .. " B"
    items[#items + 1] = item
  end
  return items
end

-- A target's ratio: the median over the repetitions of the ratio within each.
-- The peers run back to back in every repetition, so a ratio within one
-- cancels what the machine did between repetitions (a VM whose vCPUs stall
-- for a while slows every peer of that repetition alike).
local function paired(wa, pa, ca, wb, pb, cb)
  local function r(peer)
    return rep_ratios(wa, pa or peer, ca, wb, pb or peer, cb)
  end
  return { f = function(peer) return median(r(peer)) end, r = r }
end

-- peer's time over other's (a speed-up of peer when other is the slower one)
local function over(w, c, other, swap)
  if swap then return paired(w, other, c, w, nil, c) end
  return paired(w, nil, c, w, other, c)
end

check { what = "free-threaded alloc+free, batch, 16-256 B, callgrind", goal = "<= 1.05x mi_heap_malloc+mi_free instructions",
        subject = "tsheap-ft", ref = "mimalloc", le = true, limit = 1.05,
        items = each_small("batch", function(c) return over("instr", c, "mi_heap") end) }
local function mixed(other)
  local item = over("pairs", "mixed/16-256", other, true)
  item.label = "mixed"
  return { item }
end
for _, peer in ipairs({ { "glibc", 5 }, { "jemalloc", 2.5 } }) do
  local goal = (">= %gx faster than %s"):format(peer[2], peer[1])
  check { what = "free-threaded alloc+free, batch of one size, 16-256 B, wall", goal = goal,
          subject = "tsheap-ft", ref = "mi_heap", le = false, limit = peer[2],
          items = each_small("batch", function(c) return over("pairs", c, peer[1], true) end) }
  check { what = "free-threaded alloc+free, batch of mixed 16-256 B freed shuffled, wall", goal = goal,
          subject = "tsheap-ft", ref = "mi_heap", le = false, limit = peer[2], items = mixed(peer[1]),
          beyond = true }
end
local two = paired("threads", nil, "2", "threads", nil, "1")
two.label = "2 threads / 1"
check { what = "two threads (free-threaded, batches of 64 B)", goal = "per-thread cost <= 1.1x one thread",
        subject = "tsheap-ft", ref = "mi_heap", le = true, limit = 1.1, items = { two } }
local xm = over("xfree", "64", "mimalloc")
xm.label = "64 B"
check { what = "cross-thread free (free-threaded)", goal = "<= 1.1x mi_malloc/mi_free",
        subject = "tsheap-ft", ref = "mi_heap", le = true, limit = 1.1, items = { xm } }
local xg = over("xfree", "64", "glibc", true)
xg.label = "64 B"
check { what = "cross-thread free (free-threaded)", goal = ">= 1.5x faster than glibc",
        subject = "tsheap-ft", ref = "mimalloc", le = false, limit = 1.5, items = { xg } }
local td = paired("teardown", nil, "free-each", "teardown", nil, "discard")
td.label = "32-64 B"
for _, b in ipairs({ "tsheap-ft", "tsheap-gil" }) do
  check { what = ("discard %s small blocks (%s)"):format(param.teardown or "?", b), goal = ">= 50x faster than freeing each",
          subject = b, ref = "mi_heap", le = false, limit = 50, items = { td } }
end
for _, pattern in ipairs({ "batch", "same" }) do
  check { what = "GIL build alloc+free, " .. pattern .. ", 16-256 B, wall", goal = "<= 1.25x pymalloc",
          subject = "tsheap-gil", le = true, limit = 1.25,
          items = each_small(pattern, function(c) return over("pairs", c, "pymalloc") end) }
end
for _, pattern in ipairs({ "batch", "same" }) do
  check { what = "GIL build alloc+free, " .. pattern .. ", 16-256 B, callgrind", goal = "<= 90 instructions a pair",
          subject = "tsheap-gil", ref = "pymalloc", le = true, limit = 90, fmt = num,
          items = each_small(pattern, function(c) return { f = function(peer) return med("instr", peer, c) end } end) }
end
local lua = paired("lua", "lua5.4", "single", "lua", nil, "single")
lua.label = "whole run"
for _, b in ipairs({ "tsheap-ft", "tsheap-gil" }) do
  check { what = ("Lua binary-trees depth %s, tsheap.luastate (%s)"):format(param.depth or "?", b),
          goal = ">= 1.35x faster than stock lua5.4", subject = b, le = false, limit = 1.35, items = { lua } }
end
-- lua_call.sh's configurations: interpreter/build
local LUA_CALL = { "lua5.4/tsheap-ft", "lua5.4/tsheap-gil", "luajit/tsheap-ft", "luajit/tsheap-gil" }
local calls = {}
for _, c in ipairs(LUA_CALL) do
  local item = over("lua_call", c, "hand-written")
  item.label = c:gsub("/", " ")
  item.ref = over("lua_call", "instr/" .. c, "hand-written").f
  calls[#calls + 1] = item
end
check { what = "Lua alloc+free through the module, 64 B, both builds, lua5.4 and luajit, CPU time",
        goal = "<= 1.5x a hand-written Lua C function", subject = "module", ref = "instructions", le = true,
        limit = 1.5, items = calls }

-- ---- the report ----

say("# tsheap benchmark report")
say("")
local busy
for _, kv in ipairs(meta) do
  say("- ", kv[1], ": ", kv[2])
  if kv[1] == "others" then busy = tonumber(kv[2]:match("(%d+)%% of one core")) end
end
local per_rep, rs = {}, reps("machine", "others", "rep")
for k = 1, 1000 do
  if rs[k] == nil then break end
  per_rep[#per_rep + 1] = ("%d%%"):format(rs[k])
end
if #per_rep > 1 then say("- others, each repetition: ", table.concat(per_rep, ", ")) end
if busy and busy > 10 then
  say("")
  say(("**Other processes kept %d%% of a core busy during this run: the wall times, the threaded"):format(busy))
  say("ones above all, are not reliable.  Run again on a quiet machine.**")
end
say("")
say("Every number is the median over the repetitions; the peers run interleaved in each repetition,")
say("each in a process of its own.  `(2.00x)` after a number is that number over the reference")
say("named in the table: above 1 the reference is faster (or smaller).")
say("")
say("## Targets")
say("")
say("Measured: the median over the repetitions of the ratio within each (the peers run back to")
say("back in every repetition, so a stall of the machine slows all of one repetition alike); range:")
say("those ratios, lowest to highest.  Reference: the same test with another peer in tsheap's place")
say("(mimalloc used directly, or pymalloc), the floor that a layer over it starts from; for the Lua")
say("module, the same ratio in instructions (callgrind).")
say("")
header({ "target", "goal", "measured (median)", "result", "range over reps", "reference" }, true)
local passed, missed = 0, 0
for _, t in ipairs(targets) do
  if t.good then passed = passed + 1 else missed = missed + 1 end
  row(t)
end
say("")
say(("%d passed, %d missed."):format(passed, missed))
say("")
say("Beyond the targets: the goals above applied to a pattern the targets do not name, one batch")
say("of mixed sizes freed in a shuffled order (section 1, mixed pattern).  Shuffled frees leave")
say("the free lists in random order, so each allocation waits on a load from a random place;")
say("the reference shows where mimalloc itself stands.")
say("")
header({ "comparison", "goal", "measured (median)", "result", "range over reps", "reference" }, true)
for _, t in ipairs(beyond) do row(t) end

local function per_peer_section(heading, lines, unit, w, c, peers)
  say("")
  say(heading)
  say("")
  for _, l in ipairs(lines) do say(l) end
  say("")
  header({ "peer", unit, "over tsheap-ft" })
  for _, p in ipairs(peers or PEERS) do
    local v = med(w, p, c)
    row({ p, num(v), x(ratio(v, med(w, "tsheap-ft", c))) })
  end
end

-- 1. pairs
for _, pattern in ipairs({ "batch", "same" }) do
  say("")
  say(("## 1. Allocate+free, %s pattern: ns per pair (reference: tsheap-ft)"):format(pattern))
  say("")
  say(("%s pairs per size up to 256 B, a tenth of that above."):format(param.pairs or "?"))
  say("")
  say(pattern == "batch" and "1000 allocations, then 1000 frees, over and over.  16-256 B: every size from 16 to 256 B\n" ..
      "in 16 B steps, as many pairs each (the range's mean)." or
      "Each block freed at once: the allocator hands the same block back.")
  say("")
  say("Each peer runs in a process that has started a thread, as a threaded runtime's does; glibc-1t\n" ..
      "is glibc in a process that never did, where its malloc skips its atomic operations.")
  say("")
  local cols = pattern == "batch" and { 16, 64, 256, "16-256", 1024, 4096 } or SIZES
  local h = { "peer" }
  for _, s in ipairs(cols) do h[#h + 1] = s .. " B" end
  header(h)
  for _, p in ipairs(PAIRS_PEERS) do
    local r = { p }
    for _, s in ipairs(cols) do
      local c = pattern .. "/" .. s
      local v, ref = med("pairs", p, c), med("pairs", "tsheap-ft", c)
      r[#r + 1] = p == "tsheap-ft" and num(v) or (num(v) .. " (" .. x(ratio(v, ref)) .. ")")
    end
    row(r)
  end
  local r = { "tsheap-gil over pymalloc" }
  for _, s in ipairs(cols) do
    local c = pattern .. "/" .. s
    r[#r + 1] = x(ratio(med("pairs", "tsheap-gil", c), med("pairs", "pymalloc", c)))
  end
  row(r)
end

per_peer_section("## 1. Allocate+free, mixed pattern: ns per pair (reference: tsheap-ft)", {
  "1000 allocations of 16 to 256 B (the same sizes for every peer), then 1000 frees in a shuffled",
  "order, as a program's objects come and go.",
}, "ns per pair", "pairs", "mixed/16-256", PAIRS_PEERS)

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
say(("## 2. Threads: ns per pair per thread, %s batches of 1000 x 64 B per thread"):format(param.thread_rounds or "?"))
say("")
say("Wall time from a common start to the last thread's end, over one thread's pairs; the machine")
say("has 2 cores.  GIL peers take the GIL around each batch, so their threads take turns.")
say("")
say("CPU: the CPU time each thread used over its pairs, which leaves out time spent off the core")
say("(another process running, a GIL held by the other thread).")
say("")
header({ "peer", "1 thread", "2 threads", "2 threads / 1", "CPU, 1 thread", "CPU, 2 threads", "CPU, 2 / 1" })
for _, p in ipairs(PEERS) do
  local one, two = med("threads", p, "1"), med("threads", p, "2")
  local c1, c2 = med("threads", p, "cpu/1"), med("threads", p, "cpu/2")
  row({ p, num(one), num(two), x(ratio(two, one)), num(c1), num(c2), x(ratio(c2, c1)) })
end

-- A section of one number per peer (workload w, configuration c) and that
-- number over tsheap-ft's; lines are the text under the heading.
-- 3. cross-thread free
per_peer_section(("## 3. Cross-thread free: ns per 64 B object, %s objects (reference: tsheap-ft)")
                 :format(param.xfree or "?"), {
  "One thread allocates, another frees, through a ring of 4096 slots, 64 objects at a time; GIL",
  "peers take the GIL around each batch of 64.",
}, "ns per object", "xfree", "64")

-- 4. churn
per_peer_section(("## 4. Thread churn: microseconds per short-lived thread, %s threads (reference: tsheap-ft)")
                 :format(param.churn or "?"), {
  "Each thread begins (tsheap: a state; mi_heap: a heap; pymalloc: a thread state), allocates and",
  "frees 1000 x 64 B, ends; one thread at a time, creation and join included.",
}, "us per thread", "churn", "thread")

-- 5. teardown
say("")
say(("## 5. Teardown of %s blocks of 32-64 B: milliseconds"):format(param.teardown or "?"))
say("")
say("One discard of the domain (mi_heap: `mi_heap_destroy`) against a free for each block.  Resident:")
say("MiB of RSS still held after the discard, over the RSS before any domain was filled: every peer")
say("keeps the pages for the next domain.  After 250 ms idle: the same, once the process has waited")
say("250 ms and run one more short domain (a heap, or a state) that allocates and frees one block;")
say("both tsheap builds give back what a discard left idle for 100 ms when a domain ends.")
say("")
header({ "peer", "free each", "discard", "free each / discard", "resident after discard", "after 250 ms idle" })
for _, p in ipairs({ "mi_heap", "tsheap-ft", "tsheap-gil" }) do
  local f, d = med("teardown", p, "free-each"), med("teardown", p, "discard")
  row({ p, num(f), num(d), x(ratio(f, d)), num(med("teardown", p, "kept")), num(med("teardown", p, "idle")) })
end

-- 6. Lua
say("")
say(("## 6. Lua binary-trees, depth %s: seconds"):format(param.depth or "?"))
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
say(("%s live blocks of 16 B to 1 KiB, a random half replaced %s times, then all freed and the")
    :format(param.mem_blocks or "?", param.mem_rounds or "?"))
say("thread's state (tsheap, mi_heap, pymalloc) ended.  Lazily freed: pages handed back with")
say("MADV_FREE, still in the RSS until the kernel wants them.")
say("")
header({ "peer", "asked at peak", "peak RSS", "RSS after", "lazily freed" })
for _, p in ipairs(PEERS) do
  row({ p, num(med("memory", p, "asked")), num(med("memory", p, "peak")), num(med("memory", p, "after")),
        num(med("memory", p, "lazyfree")) })
end

-- 8. Lua calls
say("")
say("## 8. A block allocated and freed from Lua: per pair, the module against a hand-written one")
say("")
say('`local b = t.malloc("raw", 64); b:free()` through the tsheap module (`tsheap`, `tsheap.gil`)')
say("and through `bench/lua_handwritten.c`, a Lua C module written by hand on the same library calls.")
say(("ns: CPU time, %s pairs a run, both modules in one process a repetition (the first one"):format(param.lua_call_n or "?"))
say("alternating).  Instructions: callgrind, the difference of two run lengths.  Both count the")
say("whole loop: the Lua code, the calls and the collection of the block objects.")
say("")
header({ "interpreter, build", "module ns", "hand-written ns", "ns, module / hand-written", "module instructions",
         "hand-written instructions", "instructions, module / hand-written" })
for _, c in ipairs(LUA_CALL) do
  local mn, hn = med("lua_call", "module", c), med("lua_call", "hand-written", c)
  local mi, hi = med("lua_call", "module", "instr/" .. c), med("lua_call", "hand-written", "instr/" .. c)
  row({ (c:gsub("/", " ")), num(mn), num(hn), x(ratio(mn, hn)), num(mi), num(hi), x(ratio(mi, hi)) })
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
local call_rows = {}
for _, c in ipairs(LUA_CALL) do
  call_rows[#call_rows + 1] = { (c:gsub("/", "-")), med("lua_call", "module", c), med("lua_call", "hand-written", c) }
end
dat("lua_call", { "config", "module", "hand-written" }, call_rows)
