local now = slotNow()
local lease, waiting, lost = now + tonumber(ARGV[1]), false, {}
for i = 2, #ARGV do
  if ARGV[i] == '|' then waiting = true
  elseif waiting then redis.call('ZADD', KEYS[2], lease, ARGV[i])
  elseif redis.call('ZSCORE', KEYS[1], ARGV[i]) then redis.call('ZADD', KEYS[1], lease, ARGV[i])
  else lost[#lost + 1] = ARGV[i] end
end
return lost
