if not redis.call('ZSCORE', KEYS[2], ARGV[4]) then return -1 end
local now, native = tonumber(ARGV[1]), ARGV[3] == '1'
local due = due_members(KEYS[2], now, native, tonumber(ARGV[2]))
local expired, hidden = settle_due(KEYS[1], KEYS[2], now, native, due)
for _, field in ipairs(expired) do
  redis.call('HDEL', KEYS[1], field)
  redis.call('ZREM', KEYS[2], field)
end
return {#expired + hidden, #due}
