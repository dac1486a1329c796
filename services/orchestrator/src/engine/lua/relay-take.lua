-- The relay moves a batch from the shared queue to its own in-flight list in one step, publishes it, then drops
-- the in-flight list (ARGV[7] = '1', in the same call that takes the next batch); a relay that dies in between
-- leaves the batch where a live instance puts it back. ARGV[5] instance, ARGV[6] batch size. Answers the batch:
-- the in-flight one again if it was not acknowledged.
local inflight = P .. 'relay:inflight:' .. ARGV[5]
if ARGV[7] == '1' then redis.call('DEL', inflight) end
local cur = redis.call('LRANGE', inflight, 0, -1)
if #cur > 0 then return cur end
local batch = redis.call('LPOP', P .. 'relay', tonumber(ARGV[6]))
if not batch then return {} end
redis.call('RPUSH', inflight, unpack(batch))
return batch
