local due = redis.call('ZRANGEBYSCORE', ARGV[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
local until_ = tonumber(ARGV[2]) + tonumber(ARGV[3])
for _, m in ipairs(due) do
  redis.call('ZADD', ARGV[1], until_, m)
  out[#out + 1] = m
  out[#out + 1] = tostring(until_)
end
return out
