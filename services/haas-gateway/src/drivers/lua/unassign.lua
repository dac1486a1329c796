local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return {'free'} end
if current ~= ARGV[2] then return {'other'} end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return {'ok'}
