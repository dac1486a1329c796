local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then for _, h in ipairs(cjson.decode(old).hosts) do redis.call('HINCRBY', KEYS[2], h, -1) end end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 3, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
return old or ''
