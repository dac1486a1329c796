local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return {'missing'} end
if old ~= ARGV[2] then return {'conflict'} end
for i = 4, #ARGV do
  local owner = redis.call('HGET', KEYS[2], ARGV[i])
  if owner and owner ~= ARGV[1] then return {'mac', ARGV[i], owner} end
end
for _, nic in ipairs(cjson.decode(old).nics) do
  if redis.call('HGET', KEYS[2], nic.mac) == ARGV[1] then redis.call('HDEL', KEYS[2], nic.mac) end
end
for i = 4, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], ARGV[1]) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return {'ok'}
