if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {} end
local raw = redis.call('HGET', KEYS[2], ARGV[1])
local b = raw and cjson.decode(raw) or {address = '', armed = '', bound = '', targetAcl = false}
if b.address ~= '' then return {0, raw} end
-- Armed before ARGV[4] (an ISO time, '' for no limit) and never fetched: the arming has expired, nothing is bound.
if ARGV[4] ~= '' and b.armed ~= '' and b.armed < ARGV[4] then return {2, raw} end
b.address = ARGV[2]
b.bound = ARGV[3]
b.targetAcl = false
raw = cjson.encode(b)
redis.call('HSET', KEYS[2], ARGV[1], raw)
return {1, raw}
