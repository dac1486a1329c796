redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local busy = redis.call('EXISTS', KEYS[1]) == 1
if ARGV[1] == 'write' then
  local waiting = redis.call('GET', KEYS[4])
  busy = busy or redis.call('ZCARD', KEYS[2]) > 0 or (waiting and waiting ~= ARGV[2])
  if busy then
    if not waiting or waiting == ARGV[2] then redis.call('SET', KEYS[4], ARGV[2], 'PX', ARGV[4]) end
    return 0
  end
  if waiting then redis.call('DEL', KEYS[4]) end
  local token = redis.call('INCR', KEYS[3])
  redis.call('SET', KEYS[1], ARGV[2] .. '#' .. token, 'PX', ARGV[3])
  return token
end
if busy or redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2] .. '#' .. token)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return token
