-- Concurrency slots of a bottleneck (engine/limiter.ts), shared by every orchestrator on the Redis. Under
-- `<prefix>limit:<bottleneck>`: `:holders`, a sorted set of holder tokens scored by lease expiry (Redis time);
-- `:info`, a hash token -> who holds it (JSON, for ListLimits); `:waiters`, a sorted set of waiting tokens, also
-- by expiry, so a crashed instance's waiters vanish. Expired holders are dropped by whoever asks next: a crashed
-- holder's slot comes back one lease after its last renewal. `<prefix>limit:keys` lists the bottlenecks seen and
-- `<prefix>limit:released` is the channel a release is published on while steps wait (they ask again).
-- Used by the limiter's own scripts and by the engine's step writes (a step's start takes its slot, the next
-- write releases it), so a step costs one script instead of three.

local function slotNow()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function slotKeys(prefix, bottleneck)
  local base = prefix .. 'limit:' .. bottleneck
  return base .. ':holders', base .. ':info', base .. ':waiters'
end

local function slotPurge(holders, info, waiters, now)
  local dead = redis.call('ZRANGEBYSCORE', holders, '-inf', now)
  if #dead > 0 then redis.call('ZREM', holders, unpack(dead)) redis.call('HDEL', info, unpack(dead)) end
  redis.call('ZREMRANGEBYSCORE', waiters, '-inf', now)
end

-- 1: the token holds a slot now; 0: the bottleneck is full and the token waits (registered as a waiter).
local function slotAcquire(prefix, bottleneck, token, limit, leaseMs, who)
  local holders, info, waiters = slotKeys(prefix, bottleneck)
  local now = slotNow()
  slotPurge(holders, info, waiters, now)
  redis.call('SADD', prefix .. 'limit:keys', bottleneck)
  if redis.call('ZCARD', holders) < tonumber(limit) then
    redis.call('ZADD', holders, now + tonumber(leaseMs), token)
    redis.call('HSET', info, token, who)
    redis.call('ZREM', waiters, token)
    return 1
  end
  redis.call('ZADD', waiters, now + tonumber(leaseMs), token)
  return 0
end

local function slotRelease(prefix, bottleneck, token)
  local holders, info, waiters = slotKeys(prefix, bottleneck)
  redis.call('ZREM', holders, token)
  redis.call('HDEL', info, token)
  redis.call('ZREM', waiters, token)
  -- Only a step waiting somewhere needs to hear it (a waiter is registered by the same script that found the
  -- bottleneck full): an uncontended release wakes no instance.
  if redis.call('ZCARD', waiters) > 0 then redis.call('PUBLISH', prefix .. 'limit:released', bottleneck) end
end
