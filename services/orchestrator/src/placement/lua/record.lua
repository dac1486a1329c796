-- After lua/slots.lua. KEYS: placements, load. ARGV: field, JSON, slot, hosts... where slot is "" or the JSON of the
-- engine's SlotRequest plus its prefix ({prefix, key, token, limit, lease, who}): the target host's limiter slot,
-- taken in the same call when free (one round trip less per new target). Answers {previous record or "", 1 when
-- the slot was taken}.
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then for _, h in ipairs(cjson.decode(old).hosts) do redis.call('HINCRBY', KEYS[2], h, -1) end end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 4, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
local admitted = 0
if ARGV[3] ~= '' then
  local s = cjson.decode(ARGV[3])
  admitted = slotAcquire(s.prefix, s.key, s.token, s.limit, s.lease, s.who)
end
return {old or '', admitted}
