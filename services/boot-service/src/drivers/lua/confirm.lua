local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local b = cjson.decode(raw)
if b.address ~= ARGV[2] then return 0 end
b.targetAcl = true
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(b))
return 1
