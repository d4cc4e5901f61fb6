for i = 1, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  index_field(KEYS[2], ARGV[i], ARGV[i + 1])
end
return 0
