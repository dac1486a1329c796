import { COMMON } from "./common";

/**
 * The relay moves a batch from the shared queue to its own in-flight list in one step, publishes it, then drops
 * the in-flight list (ARGV[7] = '1', in the same call that takes the next batch); a relay that dies in between
 * leaves the batch where a live instance puts it back. ARGV[5] instance, ARGV[6] batch size. Answers the batch:
 * the in-flight one again if it was not acknowledged.
 */
export const RELAY_TAKE = COMMON + String.raw`
local inflight = P .. 'relay:inflight:' .. ARGV[5]
if ARGV[7] == '1' then redis.call('DEL', inflight) end
local cur = redis.call('LRANGE', inflight, 0, -1)
if #cur > 0 then return cur end
local batch = redis.call('LPOP', P .. 'relay', tonumber(ARGV[6]))
if not batch then return {} end
redis.call('RPUSH', inflight, unpack(batch))
return batch
`;

/**
 * Instances announce themselves with a heartbeat key; the in-flight batch of an instance whose heartbeat ran out
 * goes back to the front of the relay queue. ARGV[5] this instance, ARGV[6] heartbeat ms.
 */
export const RELAY_REAP = COMMON + String.raw`
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
`;
