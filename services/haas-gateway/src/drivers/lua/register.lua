if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {'name'} end
for i = 3, #ARGV do
  local owner = redis.call('HGET', KEYS[2], ARGV[i])
  if owner then return {'mac', ARGV[i], owner} end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 3, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], ARGV[1]) end
return {'ok'}
