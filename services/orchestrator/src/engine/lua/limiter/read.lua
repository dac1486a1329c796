local now = slotNow()
slotPurge(KEYS[1], KEYS[2], KEYS[3], now)
return {now, redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES'), redis.call('HGETALL', KEYS[2]), redis.call('ZCARD', KEYS[3])}
