local stored = redis.call('HGET', KEYS[1], ARGV[1])
local header = stored and string.sub(stored, 1, 1)
if stored and header ~= 'N' and not (header == 'E' and tonumber(string.sub(stored, 2, 17), 16)) then
  return -1
end
local payload = live_payload(stored, tonumber(ARGV[2]))
if not payload then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. payload)
index_field(KEYS[2], ARGV[1], ARGV[3])
if ARGV[4] ~= '0' then
  redis.call('HPEXPIRE', KEYS[1], ARGV[4], 'FIELDS', 1, ARGV[1])
end
return 1
