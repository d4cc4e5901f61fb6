-- KEYS[1]: the counter; ARGV[1]: the increment; ARGV[2]: the TTL of a new counter in ms ('': none).
-- Returns {1, the new value as stored} or, when INCRBY refuses the value, {0, the value} ({0}
-- when the key holds another type), so the client reports it by the rules every backend shares.
local existed = redis.call('EXISTS', KEYS[1])
local added = redis.pcall('INCRBY', KEYS[1], ARGV[1])
if type(added) == 'table' and added.err then
  local stored = redis.pcall('GET', KEYS[1])
  if type(stored) == 'string' then return {0, stored} end
  return {0}
end
if existed == 0 and ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
-- The value as stored, not INCRBY's reply: Lua numbers are doubles, exact only up to 2^53.
return {1, redis.call('GET', KEYS[1])}
