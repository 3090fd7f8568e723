-- fnv1a64.lua FILE: print the 64-bit FNV-1a hash of a file's bytes in hex,
-- computed independently of codegen/hash.lua.
local f = assert(io.open(arg[1], "rb"))
local s = f:read("a")
f:close()
local h = 0xcbf29ce484222325          -- hex literals wrap to a 64-bit integer
for i = 1, #s do h = (h ~ s:byte(i)) * 0x100000001b3 end
print(string.format("%016x", h))
