local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
for _, h in ipairs(cjson.decode(old).hosts) do redis.call('HINCRBY', KEYS[2], h, -1) end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
