-- 'runnable' is one sorted set: a job waiting for a first owner scores a small counter, a claimed job scores the
-- time its lease runs out. Whatever scores at most "now" may be claimed: new jobs first, then jobs whose owner
-- stopped renewing (crashed, partitioned). Claiming bumps the job's fence, so a late write from the old owner
-- is refused.
--
-- ARGV[5] instance, ARGV[6] lease ms, ARGV[7] max jobs. Answers {id, fence, job, steps, children, id, ...}: each
-- claimed job with its hash, its steps' hash (both flat field/value lists) and its children's ids as they are now,
-- so its runner starts without reading them again.
local instance, lease, max = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local ids = redis.call('ZRANGEBYSCORE', P .. 'runnable', '-inf', NOW_MS, 'LIMIT', 0, max)
local out = {}
for _, id in ipairs(ids) do
  local st = redis.call('HGET', jk(id), 'state')
  if (not st) or TERMINAL[st] then
    redis.call('ZREM', P .. 'runnable', id)
  else
    local fence = redis.call('HINCRBY', jk(id), 'fence', 1)
    redis.call('HSET', jk(id), 'owner', instance)
    redis.call('ZADD', P .. 'runnable', tonumber(NOW_MS) + lease, id)
    table.insert(out, id)
    table.insert(out, fence)
    table.insert(out, redis.call('HGETALL', jk(id)))
    table.insert(out, redis.call('HGETALL', jk(id) .. ':steps'))
    table.insert(out, redis.call('HKEYS', jk(id) .. ':children'))
  end
end
return out
