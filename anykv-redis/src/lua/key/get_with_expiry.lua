return {redis.call('GET', KEYS[1]), redis.call('PEXPIRETIME', KEYS[1])}
