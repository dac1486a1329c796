if redis.call('GET', KEYS[3]) ~= ARGV[4] then return -1 end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
local owner = redis.call('HGET', KEYS[2], ARGV[2])
if owner then return owner end
local value = ARGV[3]
local inserted = 1
-- With KEYS[4] (the tid counter): the spec gets its tid here, as its first field, and the answer is the tid.
if KEYS[4] then
  inserted = redis.call('INCR', KEYS[4])
  value = '{"tid":' .. inserted .. ',' .. string.sub(value, 2)
end
redis.call('HSET', KEYS[1], ARGV[1], value)
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return inserted
