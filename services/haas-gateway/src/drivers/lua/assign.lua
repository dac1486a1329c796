if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'missing'} end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current == ARGV[2] then return {'already'} end
if current then return {'other'} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {'ok'}
