local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return {'missing'} end
local project = redis.call('HGET', KEYS[3], ARGV[1])
if project then return {'allocated', project} end
for _, nic in ipairs(cjson.decode(old).nics) do
  if redis.call('HGET', KEYS[2], nic.mac) == ARGV[1] then redis.call('HDEL', KEYS[2], nic.mac) end
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[4])
return {'ok'}
