local node = ARGV[1]
for i = 4, #ARGV do
  local owner = redis.call('HGET', KEYS[2], ARGV[i])
  if owner and owner ~= node then return {0, ARGV[i], owner} end
end
local old = redis.call('HGET', KEYS[1], node)
if old then
  for _, m in ipairs(cjson.decode(old).macs) do redis.call('HDEL', KEYS[2], m) end
end
redis.call('HSET', KEYS[1], node, ARGV[2])
redis.call('HSET', KEYS[3], node, ARGV[3])
for i = 4, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], node) end
return {1}
