-- hash.lua: FNV-1a, 64-bit, on Lua 5.4's wrapping integers.  Enough to name a
-- spec and tag an ABI; not a cryptographic digest, and not meant as one.

local M = {}

local function fnv1a64(s)
  local h = -3750763034362895579          -- 0xcbf29ce484222325
  for i = 1, #s do
    h = (h ~ s:byte(i)) * 1099511628211   -- 0x100000001b3, wraps mod 2^64
  end
  return h
end

function M.hex64(s) return string.format("%016x", fnv1a64(s)) end

-- Fold to 32 bits, keeping the low two bits free for the build tag.
function M.u32(s)
  local h = fnv1a64(s)
  return ((h ~ (h >> 32)) & 0xffffffff) & ~3
end

return M
