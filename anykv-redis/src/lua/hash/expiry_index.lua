-- `stored_expiry(stored)`, the expiry (ms) of a stored field value, or `nil` for none or
-- an unreadable header; `index_field(index, field, stored)` puts a field just written into the
-- expiry index (or takes it out when it has no expiry).
local function stored_expiry(stored)
  if string.sub(stored, 1, 1) ~= 'E' then return nil end
  return tonumber(string.sub(stored, 2, 17), 16)
end
local function index_field(index, field, stored)
  local at = stored_expiry(stored)
  if at then
    redis.call('ZADD', index, at, field)
  else
    redis.call('ZREM', index, field)
  end
end
