if not redis.call('ZSCORE', KEYS[2], ARGV[2]) then return -1 end
if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[4]) then return -3 end
local now, limit, native = tonumber(ARGV[1]), tonumber(ARGV[3]), ARGV[5] == '1'
local due = due_members(KEYS[2], now, native, limit + 1)
if #due > limit then return -2 end
local expired = settle_due(KEYS[1], KEYS[2], now, native, due)
return {redis.call('HKEYS', KEYS[1]), expired}
