-- binarytrees.lua [DEPTH]: the classic binary-trees benchmark (the Computer
-- Language Benchmarks Game), as a chunk: DEPTH comes in as `...` and the
-- report comes back as a string, so the very same chunk runs in stock lua5.4,
-- in a tsheap.luastate and on tsheap.run_threads (which pass only strings
-- and numbers).  lua.c runs scripts in generational mode and lua_newstate
-- starts incremental: setting it here makes every host collect alike.
collectgarbage("generational")

local function bottom_up_tree(depth)
  if depth > 0 then
    depth = depth - 1
    local left, right = bottom_up_tree(depth), bottom_up_tree(depth)
    return { left, right }
  else
    return {}
  end
end

local function item_check(tree)
  if tree[1] then
    return 1 + item_check(tree[1]) + item_check(tree[2])
  else
    return 1
  end
end

local n = tonumber((...)) or 16
local mindepth = 4
local maxdepth = math.max(mindepth + 2, n)
local out = {}

do
  local stretchdepth = maxdepth + 1
  local stretchtree = bottom_up_tree(stretchdepth)
  out[#out + 1] = string.format("stretch tree of depth %d\t check: %d", stretchdepth, item_check(stretchtree))
end

local longlivedtree = bottom_up_tree(maxdepth)

for depth = mindepth, maxdepth, 2 do
  local iterations = 1 << (maxdepth - depth + mindepth)
  local check = 0
  for _ = 1, iterations do
    check = check + item_check(bottom_up_tree(depth))
  end
  out[#out + 1] = string.format("%d\t trees of depth %d\t check: %d", iterations, depth, check)
end

out[#out + 1] = string.format("long lived tree of depth %d\t check: %d", maxdepth, item_check(longlivedtree))
return table.concat(out, "\n")
