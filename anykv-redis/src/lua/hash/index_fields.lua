for i = 1, #ARGV do
  local stored = redis.call('HGET', KEYS[1], ARGV[i])
  if stored then index_field(KEYS[2], ARGV[i], stored) end
end
return 0
