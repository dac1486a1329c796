local score = redis.call('ZSCORE', ARGV[1], ARGV[2])
if not score or tonumber(score) ~= tonumber(ARGV[3]) then return 0 end
if ARGV[4] then redis.call('ZADD', ARGV[1], tonumber(ARGV[4]), ARGV[2]) else redis.call('ZREM', ARGV[1], ARGV[2]) end
return 1
