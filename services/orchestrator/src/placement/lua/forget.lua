-- After lua/slots.lua. KEYS: placements, load. ARGV: field, then optionally prefix, bottleneck, token: a limiter slot
-- released in the same call (the one the target host's delete held).
if ARGV[4] then slotRelease(ARGV[2], ARGV[3], ARGV[4]) end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
for _, h in ipairs(cjson.decode(old).hosts) do redis.call('HINCRBY', KEYS[2], h, -1) end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
