if live_payload(redis.call('HGET', KEYS[1], ARGV[1]), tonumber(ARGV[2])) ~= ARGV[3] then
  return 0
end
return redis.call('HDEL', KEYS[1], ARGV[1])
