local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
for _, m in ipairs(cjson.decode(old).macs) do
  if redis.call('HGET', KEYS[2], m) == ARGV[1] then redis.call('HDEL', KEYS[2], m) end
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
