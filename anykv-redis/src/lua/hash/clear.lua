redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZADD', KEYS[2], '+inf', ARGV[1])
return 0
