-- Instances announce themselves with a heartbeat key; the in-flight batch of an instance whose heartbeat ran out
-- goes back to the front of the relay queue. ARGV[5] this instance, ARGV[6] heartbeat ms.
redis.call('SET', P .. 'instance:' .. ARGV[5], NOW_MS, 'PX', tonumber(ARGV[6]))
redis.call('SADD', P .. 'instances', ARGV[5])
local moved = 0
for _, inst in ipairs(redis.call('SMEMBERS', P .. 'instances')) do
  if redis.call('EXISTS', P .. 'instance:' .. inst) == 0 then
    local inflight = P .. 'relay:inflight:' .. inst
    local items = redis.call('LRANGE', inflight, 0, -1)
    for i = #items, 1, -1 do redis.call('LPUSH', P .. 'relay', items[i]) end
    moved = moved + #items
    redis.call('DEL', inflight)
    redis.call('SREM', P .. 'instances', inst)
  end
end
return moved
