-- check.lua: the Lua tests' assertions.  Each script ends with the line
-- "N passed, N failed" and exits nonzero on any failure.
local M = { passed = 0, failed = 0 }

local function where()
  local info = debug.getinfo(3, "Sl")
  return info.short_src .. ":" .. info.currentline
end

function M.check(cond, what)
  if cond then
    M.passed = M.passed + 1
  else
    M.failed = M.failed + 1
    io.stderr:write(where(), ": check failed: ", tostring(what), "\n")
  end
  return cond
end

-- f(...) must raise an error whose message contains pattern (plain text).
function M.raises(pattern, f, ...)
  local ok, err = pcall(f, ...)
  if not ok and tostring(err):find(pattern, 1, true) then
    M.passed = M.passed + 1
    return true
  end
  M.failed = M.failed + 1
  io.stderr:write(where(), ": want an error with '", pattern, "', got ",
                  ok and "no error" or ("'" .. tostring(err) .. "'"), "\n")
  return false
end

function M.done()
  print(string.format("%d passed, %d failed", M.passed, M.failed))
  os.exit(M.failed == 0 and 0 or 1)
end

return M
