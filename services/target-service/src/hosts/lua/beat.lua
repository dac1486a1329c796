local t = redis.call('TIME')
local rec = cjson.decode(ARGV[2])
rec.heartbeatMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
return rec.heartbeatMs
