local current = live_payload(redis.call('HGET', KEYS[1], ARGV[1]), tonumber(ARGV[3]))
if #ARGV < 5 then
  if current then return 0 end
elseif current ~= ARGV[5] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
index_field(KEYS[2], ARGV[1], ARGV[2])
if ARGV[4] ~= '0' then
  redis.call('HPEXPIRE', KEYS[1], ARGV[4], 'FIELDS', 1, ARGV[1])
end
return 1
