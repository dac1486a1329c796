local n = 0
for i = 5, #ARGV, 2 do
  if slotAcquire(ARGV[1], ARGV[2], ARGV[i], ARGV[3], ARGV[4], ARGV[i + 1]) == 0 then
    local _, _, waiters = slotKeys(ARGV[1], ARGV[2])
    local expiry = redis.call('ZSCORE', waiters, ARGV[i])
    for j = i + 2, #ARGV, 2 do redis.call('ZADD', waiters, expiry, ARGV[j]) end
    break
  end
  n = n + 1
end
return n
